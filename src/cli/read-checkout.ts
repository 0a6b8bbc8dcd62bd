// Reads a repository checkout from disk the way the reconciler reads a commit: every manifest parsed with
// the reconciler's own parser, then assembled, and each Canary's generated file read back. `validate` and
// `render` both start here, so they report the same errors and warnings as `reconcile`.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import {
  generatedFileError,
  generatedPath,
  isGeneratedPath,
  parseGeneratedFile,
  type GeneratedFile,
} from '../core/generated-file.js';
import { assembleRepository, type ResolvedCanary } from '../core/manifests/assemble.js';
import { withFieldLines } from '../core/manifests/field-line.js';
import { compareManifestErrors, type ManifestError } from '../core/manifests/manifest-error.js';
import { fileLimits, tooLarge } from '../core/load-yaml.js';
import {
  isManifestPath,
  parseManifestFile,
  type ParseManifestOptions,
} from '../core/manifests/parse-file.js';
import { kustomizationFileNames } from '../core/kustomization-resources.js';
import { refusedTransformers } from '../core/kustomization-transformers.js';
import { ConfigError } from './reconciler-config.js';

// `Kustomization` has no extension, so it is not a manifest path; it is read for the folder contract.
const isKustomizationPath = (file: string) => posix.basename(file) === 'Kustomization';

interface CheckoutCanary {
  resolved: ResolvedCanary;
  /** The Canary's generated file as committed, when there is one and it is valid. */
  generated?: { file: GeneratedFile; content: string };
}

interface Checkout {
  /** Manifest files read (generated files not counted). */
  files: number;
  canaries: CheckoutCanary[];
  /** With `line` filled in where the field was found. */
  errors: ManifestError[];
  warnings: ManifestError[];
}

// Never part of a repository's tree: git's own directory, and dependencies a CI job may have installed.
const skippedDirectories = new Set(['.git', 'node_modules']);

export async function readCheckout(root: string, options: ParseManifestOptions): Promise<Checkout> {
  const texts = new Map<string, string>();
  // Files over the size limit are not read, as the reconciler does not read such blobs.
  const tooLargeFiles = new Map<string, number>();
  for (const path of await listFiles(root)) {
    if (!isManifestPath(path) && !isGeneratedPath(path) && !isKustomizationPath(path)) continue;
    const { size } = await lstat(join(root, path));
    if (size > fileLimits.maxBytes) tooLargeFiles.set(path, size);
    else texts.set(path, await readFile(join(root, path), 'utf8'));
  }
  const manifests = [...texts.keys()].filter(isManifestPath).sort();
  const assembled = assembleRepository(
    manifests.map((file) => parseManifestFile(file, texts.get(file) ?? '', options)),
  );
  const errors = [...assembled.errors];
  for (const [file, size] of tooLargeFiles) {
    if (isManifestPath(file)) errors.push({ code: 'ManifestInvalid', file, message: tooLarge(size) });
  }
  const owners = new Map<string, string>();
  const canaries: CheckoutCanary[] = [];
  for (const resolved of assembled.canaries) {
    const { canary } = resolved;
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
    const size = tooLargeFiles.get(path);
    if (size !== undefined) {
      errors.push({ code: 'ManifestInvalid', file: path, message: tooLarge(size), canary: key });
      continue;
    }
    const content = texts.get(path);
    const parsed = content === undefined ? undefined : parseGeneratedFile(canary, content);
    if (parsed && !parsed.ok) {
      errors.push(generatedFileError(path, parsed, key));
      continue;
    }
    errors.push(...kustomizationErrors(path, texts, key));
    canaries.push({
      resolved,
      ...(parsed?.ok && content ? { generated: { file: parsed.file, content } } : {}),
    });
  }
  const withLines = (list: ManifestError[]) =>
    [...groupByFile(list)].flatMap(([file, group]) => withFieldLines(group, texts.get(file) ?? ''));
  return {
    files: manifests.length,
    canaries,
    errors: withLines(errors).sort(compareManifestErrors),
    warnings: withLines(assembled.warnings).sort(compareManifestErrors),
  };
}

/** The refused transformers of the kustomization in the generated file's folder, if it has one. */
function kustomizationErrors(generated: string, texts: ReadonlyMap<string, string>, canary: string) {
  const dir = generated.slice(0, generated.lastIndexOf('/') + 1);
  const path = kustomizationFileNames.map((name) => `${dir}${name}`).find((p) => texts.has(p));
  return path ? refusedTransformers(path, texts.get(path) ?? '', canary) : [];
}

function groupByFile(errors: readonly ManifestError[]): Map<string, ManifestError[]> {
  const groups = new Map<string, ManifestError[]>();
  for (const error of errors) groups.set(error.file, [...(groups.get(error.file) ?? []), error]);
  return groups;
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
