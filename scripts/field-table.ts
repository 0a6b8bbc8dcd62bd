// `npm run docs:fields`: rewrites the field table of docs/flagger-compatibility.md from the code.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { FIELD_TABLE_BEGIN, FIELD_TABLE_END, renderFieldTable } from '../src/core/manifests/field-table.js';

const path = 'docs/flagger-compatibility.md';
const text = readFileSync(path, 'utf8');
const begin = text.indexOf(FIELD_TABLE_BEGIN);
const end = text.indexOf(FIELD_TABLE_END);
if (begin < 0 || end < begin) throw new Error(`${path}: the field table markers are missing`);
const table = `${FIELD_TABLE_BEGIN}\n\n${renderFieldTable()}\n\n`;
writeFileSync(path, text.slice(0, begin) + table + text.slice(end));
execFileSync('npx', ['prettier', '--write', path], { stdio: 'ignore' });
process.stdout.write(`${path}: field table rewritten\n`);
