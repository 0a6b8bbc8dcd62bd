// `gitcanary validate <path>`: lints a checkout in a pull request's CI with the reconciler's own parser,
// so what passes here is what the daemon will accept. Prints `file:line: field: message` per problem (the
// line of the field when it can be found, else `file#document`), then one summary line; exit 1 on errors.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { Command } from 'commander';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import { generatedPath, isGeneratedPath, parseGeneratedFile } from '../../core/generated-file.js';
import { assembleRepository } from '../../core/manifests/assemble.js';
import { formatManifestError, type ManifestError } from '../../core/manifests/manifest-error.js';
import { isManifestPath, parseManifestFile } from '../../core/manifests/parse-file.js';
import { ConfigError } from '../reconciler-config.js';

export interface ValidationReport {
  /** Manifest files read (generated files not counted). */
  files: number;
  /** `namespace/name` of every Canary that resolved to its target. */
  canaries: string[];
  /** As ManifestError (`document` 0-based), with `line` filled in where the field was found. */
  errors: ManifestError[];
}

// Never part of a repository's tree: git's own directory, and dependencies a CI job may have installed.
const skippedDirectories = new Set(['.git', 'node_modules']);

export function validateCommand(): Command {
  return new Command('validate')
    .description('check the Services and Canaries of a repository checkout, e.g. in pull-request CI')
    .argument('<path>', 'folder of the checkout to read (all of it is read, as the reconciler would)')
    .option(
      '--default-namespace <ns>',
      'namespace of manifests that name none [GITCANARY_DEFAULT_NAMESPACE]',
      process.env.GITCANARY_DEFAULT_NAMESPACE ?? 'default',
    )
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (path: string, flags: { defaultNamespace: string; output: string }) => {
      if (flags.output !== 'text' && flags.output !== 'json')
        throw new ConfigError(`--output: expected text or json, got "${flags.output}"`);
      const report = await validateCheckout(path, flags.defaultNamespace);
      const display = (file: string) => join(path, file).split(sep).join('/');
      process.stdout.write(
        flags.output === 'json'
          ? `${JSON.stringify({ ...report, errors: report.errors.map((e) => ({ ...e, file: display(e.file) })) }, null, 2)}\n`
          : formatReport(report, display),
      );
      process.exitCode = report.errors.length > 0 ? 1 : 0;
    });
}

export async function validateCheckout(root: string, defaultNamespace: string): Promise<ValidationReport> {
  const texts = new Map<string, string>();
  for (const file of await listFiles(root)) {
    if (isManifestPath(file) || isGeneratedPath(file))
      texts.set(file, await readFile(join(root, file), 'utf8'));
  }
  const manifests = [...texts.keys()].filter(isManifestPath).sort();
  const parsed = manifests.map((file) =>
    parseManifestFile(file, texts.get(file) ?? '', { defaultNamespace }),
  );
  const assembled = assembleRepository(parsed);
  const errors = [...assembled.errors];
  const owners = new Map<string, string>();
  for (const { canary } of assembled.canaries) {
    const key = `${canary.namespace}/${canary.name}`;
    const path = generatedPath(canary);
    const clash = owners.get(path);
    owners.set(path, key);
    if (clash) {
      const message = `generated file ${path} would belong to both ${clash} and ${key}; give the Canaries distinct names`;
      errors.push({
        code: 'ManifestInvalid',
        ...canary.source,
        field: 'metadata.name',
        message,
        canary: key,
      });
      continue;
    }
    // A generated file broken by hand stalls its Canary in the daemon; better to hear of it in review.
    const generated = texts.get(path);
    const result = generated === undefined ? undefined : parseGeneratedFile(canary, generated);
    if (result && !result.ok)
      errors.push({ code: 'ManifestInvalid', file: path, message: result.message, canary: key });
  }
  return {
    files: manifests.length,
    canaries: assembled.canaries.map(({ canary }) => `${canary.namespace}/${canary.name}`),
    errors: errors.map((error) => withFieldLine(error, texts.get(error.file))),
  };
}

export function formatReport(report: ValidationReport, display: (file: string) => string): string {
  const lines = report.errors.map((error) => {
    const file = display(error.file);
    if (error.line === undefined || error.column !== undefined)
      return formatManifestError({ ...error, file });
    return `${file}:${error.line}: ${error.field ? `${error.field}: ` : ''}${error.message}`;
  });
  const canaries = `${report.canaries.length} ${report.canaries.length === 1 ? 'Canary' : 'Canaries'}`;
  const errors = report.errors.length;
  lines.push(
    errors === 0
      ? `ok: ${report.files} manifest files, ${canaries}`
      : `${errors} ${errors === 1 ? 'error' : 'errors'} in ${report.files} manifest files (${canaries} valid)`,
  );
  return `${lines.join('\n')}\n`;
}

/** Repository-relative POSIX paths of the regular files under `root`; symbolic links are not followed. */
async function listFiles(root: string): Promise<string[]> {
  if (!(await lstat(root).catch(() => undefined))?.isDirectory())
    throw new ConfigError(`${root}: not a directory`);
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
      const path = dir === '' ? entry.name : posix.join(dir, entry.name);
      if (entry.isDirectory() && !skippedDirectories.has(entry.name)) await walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  await walk('');
  return files.sort();
}

/** Adds the 1-based line of the error's field (or of its deepest ancestor present) to a document error. */
function withFieldLine(error: ManifestError, text: string | undefined): ManifestError {
  if (text === undefined || error.line !== undefined || error.document === undefined) return error;
  const lineCounter = new LineCounter();
  const document = parseAllDocuments(text, { lineCounter });
  if (!Array.isArray(document)) return error;
  const contents = document[error.document]?.contents;
  if (!contents) return error;
  let node: unknown = contents;
  let offset = contents.range?.[0];
  for (const key of fieldKeys(error.field ?? '')) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? error : { ...error, line: lineCounter.linePos(offset).line };
}

/** `spec.stepWeights[2]` or `metadata.annotations["a.io/b"]` back into keys (formatFieldPath's inverse). */
function fieldKeys(field: string): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const match of field.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    if (match[1] !== undefined) keys.push(match[1]);
    else if (match[2] !== undefined) keys.push(Number(match[2]));
    else if (match[3] !== undefined) keys.push(JSON.parse(match[3]) as string);
  }
  return keys;
}
