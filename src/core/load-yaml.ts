// Reads the YAML text of one file (a manifest or a generated file) into its documents, within fixed limits,
// so that whatever a file holds costs at most a bounded amount of time and memory to read. What the
// documents may grow to when copied (aliases expanded) is bounded by ownDocument (own-strings.ts).
import { loadAll, YAMLException } from 'js-yaml';
import { countYamlNodes } from './count-yaml-nodes.js';

export const fileLimits = {
  /** Bytes of one file: a larger one is not parsed. The largest Kubernetes object etcd stores is 1.5 MiB. */
  maxBytes: 1024 * 1024,
  /**
   * Nodes of one file, counted before it is parsed (count-yaml-nodes.ts): js-yaml's parse costs ~200 bytes
   * a node whatever documents are kept, so ~40 MiB at most. The densest real files (OpenAPI schemas) hold
   * ~70,000 in 1 MiB; a document of more than 100,000 is refused anyway once its aliases are expanded.
   */
  maxNodes: 100_000,
  /** Alias nodes (`*name`) in one document. */
  maxAliases: 1000,
  /** Nesting of mappings and sequences (js-yaml stops there, before its own recursion could). */
  maxDepth: 100,
} as const;

/**
 * What the manifests of one commit may cost together, counted over every file under the root (parsed in
 * this pass or kept from an earlier one), so that what a daemon keeps is bounded too. Files past it, in
 * path order, are an error each; the others are read. The repository of 5,000 Canaries that `npm run bench`
 * reads (16,669 manifests) is 5.4 MiB and 486,519 nodes: the budget is about 8 times that, so that it
 * bounds a hostile commit and not a large fleet (it holds ~100 MiB of parsed Canaries and Services at most).
 */
export const passLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxNodes: 4_000_000,
} as const;

/** Why a file is not read once the files before it (in path order) have spent the budget of a pass. */
export function overPassBudget(
  spent: { bytes: number; nodes: number },
  limits: Record<keyof typeof passLimits, number> = passLimits,
): string {
  const what =
    spent.bytes > limits.maxBytes
      ? `${(limits.maxBytes / 1024 / 1024).toLocaleString('en')} MiB`
      : `${limits.maxNodes.toLocaleString('en')} YAML nodes`;
  return `not read: this file would take the manifests read in one pass over the limit of ${what}; the files before it (in path order) are read`;
}

interface YamlProblem {
  message: string;
  /** 1-based, when the parser knows where. */
  line?: number;
  column?: number;
}

type LoadedYaml =
  | {
      ok: true;
      documents: unknown[];
      /** Its nodes, counted before parsing (aliases not expanded): what parsing it cost. */
      nodes: number;
      /** The text as parsed (byte order marks at document starts removed; lines unchanged). */
      text: string;
    }
  | { ok: false; problem: YamlProblem };

/** The documents of `text`, or the one problem that stops the whole file from being read. */
export function loadYaml(text: string): LoadedYaml {
  // Characters: a lower bound of the bytes, for callers that did not check the bytes before decoding.
  if (text.length > fileLimits.maxBytes) return { ok: false, problem: { message: tooLarge() } };
  if (text.includes('\0')) {
    return {
      ok: false,
      problem: { message: 'not a YAML text file: it holds NUL bytes (binary, or UTF-16)' },
    };
  }
  const clean = withoutDocumentBoms(text);
  try {
    const counted = countYamlNodes(clean, fileLimits.maxNodes);
    if (!counted.ok) return { ok: false, problem: tooManyNodes(clean, counted.offset) };
    return {
      ok: true,
      documents: loadAll(clean, { maxAliases: fileLimits.maxAliases, maxDepth: fileLimits.maxDepth }),
      nodes: counted.nodes,
      text: clean,
    };
  } catch (error) {
    return { ok: false, problem: yamlProblem(error) };
  }
}

/** Why a file of `bytes` bytes (or of an unknown size over the limit) is not read. */
export function tooLarge(bytes?: number): string {
  const size = bytes === undefined ? 'the file is' : `the file is ${bytes.toLocaleString('en')} bytes,`;
  return `${size} over the limit of ${fileLimits.maxBytes / 1024 / 1024} MiB of a file gitcanary reads; not read`;
}

/** Why a file of more nodes than a file may hold is not parsed, at the node past the limit. */
function tooManyNodes(text: string, offset: number): YamlProblem {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < lineStart; at = text.indexOf('\n', at + 1)) line += 1;
  return {
    line,
    column: offset - lineStart + 1,
    message: `the file holds more than ${fileLimits.maxNodes.toLocaleString('en')} YAML nodes, the limit of a file gitcanary reads; not parsed`,
  };
}

/**
 * The text without the byte order marks that start a line. YAML allows a BOM at the start of every document
 * of a stream, and files joined into one (`cat a.yaml b.yaml`, templating tools) carry one after a `---`;
 * js-yaml takes it for the first character of the document's first key, so `apiVersion` was not found and a
 * Canary went unseen. Removing characters keeps every line number.
 */
export function withoutDocumentBoms(text: string): string {
  return text.includes('\uFEFF') ? text.replace(/^\uFEFF+/gm, '') : text;
}

function yamlProblem(error: unknown): YamlProblem {
  if (error instanceof YAMLException) {
    return {
      // js-yaml counts lines and columns from 0; editors and people count from 1.
      ...(error.mark ? { line: error.mark.line + 1, column: error.mark.column + 1 } : {}),
      message: `invalid YAML: ${error.reason}`,
    };
  }
  // js-yaml documents that other exceptions can escape; they are still the file's fault.
  return { message: `invalid YAML: ${error instanceof Error ? error.message : String(error)}` };
}
