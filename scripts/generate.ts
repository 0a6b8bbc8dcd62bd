// `npm run generate`: rewrites what is made from the code: the field table of docs/flagger-compatibility.md
// and our Canary CRD in deploy/crds/. Tests fail when either is out of date.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dump } from 'js-yaml';
import { canaryCrd } from '../src/core/manifests/canary-crd.js';
import { FIELD_TABLE_BEGIN, FIELD_TABLE_END, renderFieldTable } from '../src/core/manifests/field-table.js';

const doc = 'docs/flagger-compatibility.md';
const text = readFileSync(doc, 'utf8');
const begin = text.indexOf(FIELD_TABLE_BEGIN);
const end = text.indexOf(FIELD_TABLE_END);
if (begin < 0 || end < begin) throw new Error(`${doc}: the field table markers are missing`);
writeFileSync(
  doc,
  `${text.slice(0, begin)}${FIELD_TABLE_BEGIN}\n\n${renderFieldTable()}\n\n${text.slice(end)}`,
);

const crd = 'deploy/crds/canaries.gitcanary.dev.yaml';
const header = [
  '# The Canary that gitcanary reads from the repository. gitcanary never reads it from the cluster: the CRD is',
  '# here so that a GitOps tool can apply the repository as it is, and so that the API server validates it.',
  '# Generated from src/core/manifests/canary-fields.ts by `npm run generate`: it accepts every field that',
  '# `gitcanary validate` accepts. Do not edit.',
].join('\n');
writeFileSync(crd, `${header}\n${dump(canaryCrd(), { lineWidth: -1, noRefs: true })}`);

execFileSync('npx', ['prettier', '--write', doc, crd], { stdio: 'ignore' });
process.stdout.write(`${doc}: field table rewritten\n${crd}: rewritten\n`);
