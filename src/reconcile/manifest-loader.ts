// Loads a commit's manifests: lists the tree (or diffs it with the last commit loaded), parses each input
// file once per blob id (a poll re-parses only what changed), and joins Canaries with their targets. Shared by the reconciler and the commands
// that read the repository (status, diff, approve, …). Only the last commit's parsed files and texts are
// kept, so a daemon's memory follows the repository's size, not its history. A file over the size limit
// is never read, and the files of a commit read together stay within the budget of a pass (passLimits).
import {
  assembleRepositoryReusing,
  type AssembledRepository,
  type AssemblyMemo,
  noAssembly,
} from '../core/manifests/assemble.js';
import {
  isManifestPath,
  parseManifestFile,
  type ParsedFile,
  type ParseManifestOptions,
} from '../core/manifests/parse-file.js';
import { compareManifestErrors, type ManifestError } from '../core/manifests/manifest-error.js';
import { withFieldLines } from '../core/manifests/field-line.js';
import {
  generatedFileError,
  isGeneratedPath,
  parseGeneratedFile,
  type GeneratedFile,
} from '../core/generated-file.js';
import { fileLimits, overPassBudget, passLimits, tooLarge } from '../core/load-yaml.js';
import type { CanarySpec } from '../core/model.js';
import { LayeredMap } from '../core/layered-map.js';
import { blobOid } from '../git/blob-oid.js';
import { BlobTooLargeError } from '../git/errors.js';
import type { Repository } from '../git/repository.js';
import { EventLoopTurns } from '../runtime/event-loop-turns.js';

export interface LoadedCommit {
  head: string;
  /** Blob id by path, for every manifest and generated file under the root. */
  oids: ReadonlyMap<string, string>;
  assembled: AssembledRepository;
  /** Warnings of the files parsed by this load (new blobs): said once per revision of a file, not every poll. */
  freshWarnings: ManifestError[];
  /**
   * The commit loaded before, when this one was loaded from it by the paths that changed (our own commit's
   * `advance`, or a diff), and those paths: what a pass may plan from the last pass (pass-memo.ts).
   */
  from?: { head: string; changed: readonly string[] };
}

/** A Canary's generated file read back, or why it could not be. */
type GeneratedFileRead =
  { ok: true; file: GeneratedFile; content: string } | { ok: false; error: ManifestError };

/** What most files of a GitOps repository hold for gitcanary (Deployments, kustomizations): one shared value. */
const nothing: ParsedFile = Object.freeze({
  services: [],
  ingresses: [],
  canaries: [],
  canaryChecks: [],
  metricTemplates: [],
  errors: [],
  warnings: [],
});

/** A blob as parsed, with what reading it costs a pass; without `parsed` when it was over the budget. */
interface ParsedEntry {
  oid: string;
  parsed?: ParsedFile;
  bytes: number;
  nodes: number;
}

type PassLimits = Record<keyof typeof passLimits, number>;

/**
 * The last commit loaded, as the next load starts from it: its blob ids and its manifest files' parsed
 * content in the order of the listing. Absent when that load had something whose outcome depends on the
 * whole listing (a refused tree entry, a file over the pass budget): then the next load lists its commit.
 */
interface LoadBase {
  head: string;
  oids: ReadonlyMap<string, string>;
  parsedFiles: readonly ParsedFile[];
  spent: { bytes: number; nodes: number };
}

export class ManifestLoader {
  /**
   * By path, for the files of the last commit loaded (each with its blob id). Not by `oid:path`: at 5,000
   * Canaries those 21,669 keys, made by concatenation, cost 2.9 MiB more than the paths the listing holds.
   */
  private parsed = new Map<string, ParsedEntry>();
  /** Texts read by `text`, by blob id, while the last commit holds them and no one said `forget`. */
  private texts = new Map<string, string>();
  /** How the last commit's Canaries were joined: a new commit joins again only those its changes concern. */
  private assembly: AssemblyMemo = noAssembly;
  private base: LoadBase | undefined;
  private readonly root: string;

  constructor(
    /** Without `listChanges`, every load lists its whole commit. */
    private readonly repo: Pick<Repository, 'listFiles' | 'readBlob'> &
      Partial<Pick<Repository, 'listChanges'>>,
    root: string,
    private readonly options: ParseManifestOptions,
    /** Smaller in tests. */
    private readonly limits: PassLimits = passLimits,
  ) {
    this.root = root.replace(/^\/+|\/+$/g, '');
  }

  /**
   * The commit's manifests, joined. From the changes since the last commit loaded when that is enough to give
   * what a listing would (loadChanges); otherwise from a listing of the whole commit.
   */
  async load(head: string): Promise<LoadedCommit> {
    return (await this.loadChanges(head)) ?? (await this.loadListing(head));
  }

  /**
   * The commit `head` as the last one loaded plus the blobs that differ between them, found by diffing the
   * two trees: a person's one-file commit costs its changes, not the repository's size. Undefined (list
   * instead) where the result could depend on where a file sits in the listing: a path added (the order of
   * the files), a file that had nothing for gitcanary and now has (its place among those that have), a
   * refused entry, or a commit over the pass budget (which files fit depends on their order).
   */
  private async loadChanges(head: string): Promise<LoadedCommit | undefined> {
    const base = this.base;
    if (!base || !this.repo.listChanges) return undefined;
    const changes = await this.repo.listChanges(
      base.head,
      head,
      (path) => this.inRoot(path) && (isGeneratedPath(path) || isManifestPath(path)),
    );
    if (!changes) return undefined;
    if (changes.some((change) => change.before === undefined || change.refused !== undefined)) {
      return undefined;
    }
    const parsedFiles = [...base.parsedFiles];
    const spent = { ...base.spent };
    const replaced: { path: string; entry?: ParsedEntry; fresh: boolean }[] = [];
    for (const { path, before, after } of changes) {
      if (isGeneratedPath(path)) continue;
      const old = this.known(path, before);
      if (old?.parsed === undefined) return undefined;
      const known = this.known(path, after);
      const entry = after === undefined ? undefined : (known ?? (await this.parse(path, after)));
      spent.bytes += (entry?.bytes ?? 0) - old.bytes;
      spent.nodes += (entry?.nodes ?? 0) - old.nodes;
      const at = old.parsed === nothing ? -1 : parsedFiles.indexOf(old.parsed);
      if (entry?.parsed !== undefined && entry.parsed !== nothing) {
        // A file that had nothing has no place in the list to take: only a listing says where it goes.
        if (at < 0) return undefined;
        parsedFiles[at] = entry.parsed;
      } else if (at >= 0) parsedFiles.splice(at, 1);
      replaced.push({ path, fresh: known === undefined, ...(entry ? { entry } : {}) });
    }
    if (spent.bytes > this.limits.maxBytes || spent.nodes > this.limits.maxNodes) return undefined;

    // The blob ids of the commit before, with those of the changed paths above them: not copied.
    const oids = LayeredMap.of(base.oids).with(changes.map(({ path, after }) => [path, after]));
    const freshWarnings: ManifestError[] = [];
    for (const { path, entry, fresh } of replaced) {
      if (!entry) {
        this.parsed.delete(path);
        continue;
      }
      this.parsed.set(path, entry);
      if (fresh) freshWarnings.push(...(entry.parsed?.warnings ?? []));
    }
    const held = new Set(changes.flatMap(({ after }) => (after === undefined ? [] : [after])));
    // A text may still be held by an unchanged file: then it is read again when asked for, no more.
    for (const { before } of changes)
      if (before !== undefined && !held.has(before)) this.texts.delete(before);
    const from = { head: base.head, changed: changes.map((change) => change.path) };
    return { ...(await this.assemble(head, oids, parsedFiles, [], freshWarnings, spent)), from };
  }

  private async loadListing(head: string): Promise<LoadedCommit> {
    const listed = await this.repo.listFiles(
      head,
      (path) => this.inRoot(path) && (isGeneratedPath(path) || isManifestPath(path)),
    );
    // A tree entry no path may be made of is an error for that entry; the rest of the tree goes on.
    const refused: ManifestError[] = listed.flatMap(({ path, refused: message }) =>
      message !== undefined && this.inRoot(path) ? [{ code: 'ManifestInvalid', file: path, message }] : [],
    );
    const files = listed.filter((file) => file.refused === undefined);
    const parsedFiles: ParsedFile[] = [];
    const kept = new Map<string, ParsedEntry>();
    const freshWarnings: ManifestError[] = [];
    // What the files read so far cost: a file that would take it past the budget of a pass is not read.
    const spent = { bytes: 0, nodes: 0 };
    const turns = new EventLoopTurns();
    let overBudget = false;
    for (const file of files) {
      if (isGeneratedPath(file.path)) continue;
      while (turns.spent()) await turns.next();
      let entry = this.known(file.path, file.oid);
      const fresh = entry === undefined || (entry.parsed === undefined && this.withinLimits(spent, entry));
      if (fresh) entry = await this.parse(file.path, file.oid);
      if (entry === undefined) continue;
      if (!this.withinLimits(spent, entry)) {
        // Only its cost is kept, so that the next pass knows without reading it again.
        kept.set(file.path, { oid: entry.oid, bytes: entry.bytes, nodes: entry.nodes });
        overBudget = true;
        const over = { bytes: spent.bytes + entry.bytes, nodes: spent.nodes + entry.nodes };
        parsedFiles.push({
          ...nothing,
          errors: [{ code: 'ManifestInvalid', file: file.path, message: overPassBudget(over, this.limits) }],
        });
        continue;
      }
      spent.bytes += entry.bytes;
      spent.nodes += entry.nodes;
      if (fresh) freshWarnings.push(...(entry.parsed?.warnings ?? []));
      kept.set(file.path, entry);
      // A file with nothing for gitcanary adds nothing to the join: left out, so that each file listed here
      // is one object, found again by identity when it changes (loadChanges).
      if (entry.parsed && entry.parsed !== nothing) parsedFiles.push(entry.parsed);
    }
    this.parsed = kept;
    const oids = new Map(files.map((file) => [file.path, file.oid]));
    const held = new Set(oids.values());
    for (const oid of this.texts.keys()) if (!held.has(oid)) this.texts.delete(oid);
    return this.assemble(head, oids, parsedFiles, refused, freshWarnings, overBudget ? undefined : spent);
  }

  /** Joins the files, and keeps what the next load starts from (none when `spent` is not given). */
  private async assemble(
    head: string,
    oids: ReadonlyMap<string, string>,
    parsedFiles: readonly ParsedFile[],
    refused: readonly ManifestError[],
    freshWarnings: ManifestError[],
    spent: { bytes: number; nodes: number } | undefined,
  ): Promise<LoadedCommit> {
    const { assembled, memo } = assembleRepositoryReusing(parsedFiles, this.assembly);
    this.assembly = memo;
    this.base = spent && refused.length === 0 ? { head, oids, parsedFiles, spent } : undefined;
    const errors = [...refused, ...(await this.withLines(assembled.errors, oids))].sort(
      compareManifestErrors,
    );
    return {
      head,
      oids,
      assembled: { ...assembled, errors },
      freshWarnings,
    };
  }

  /**
   * The commit `head` made on top of `loaded` with `changes` alone, without listing or parsing it again:
   * when they touch only generated files, which no Canary is assembled from, only their blob ids move.
   * Undefined when a change touches a manifest (a target reverted, a kustomization listing a file): then
   * `load`. This is what keeps a step's cost from growing with the repository.
   */
  advance(
    loaded: LoadedCommit,
    head: string,
    changes: readonly { path: string; content: string | null }[],
  ): LoadedCommit | undefined {
    const mine = changes.filter((change) => this.inRoot(change.path));
    if (mine.some((change) => !isGeneratedPath(change.path))) return undefined;
    const written = mine.map(({ path, content }) => {
      if (content === null) return [path, undefined] as const;
      const oid = blobOid(content);
      // The next plan of its Canary reads it back: from here, not from the store.
      this.texts.set(oid, content);
      return [path, oid] as const;
    });
    const oids = LayeredMap.of(loaded.oids).with(written);
    for (const { path } of mine) {
      const old = loaded.oids.get(path);
      if (old !== undefined && old !== oids.get(path)) this.texts.delete(old);
    }
    // The next load diffs from our own commit, whose generated files' texts are the ones kept here.
    if (this.base?.head === loaded.head && this.base.oids === loaded.oids)
      this.base = { ...this.base, head, oids };
    const from = { head: loaded.head, changed: mine.map((change) => change.path) };
    return { head, oids, assembled: loaded.assembled, freshWarnings: [], from };
  }

  /**
   * A Canary's generated file (blob `oid`) read back: its text, within the size limit of a file, parsed.
   * A file broken by hand, or made hostile, is an error for its Canary.
   */
  async generatedFile(canary: CanarySpec, path: string, oid: string): Promise<GeneratedFileRead> {
    const key = `${canary.namespace}/${canary.name}`;
    let content: string;
    try {
      content = await this.text(oid);
    } catch (error) {
      if (!(error instanceof BlobTooLargeError)) throw error;
      const message = tooLarge(error.bytes);
      return { ok: false, error: { code: 'ManifestInvalid', file: path, message, canary: key } };
    }
    const parsed = parseGeneratedFile(canary, content);
    return parsed.ok
      ? { ok: true, file: parsed.file, content }
      : { ok: false, error: generatedFileError(path, parsed, key) };
  }

  /**
   * The text of a blob, or undefined when it is over the size limit of a file: for a generated file no
   * Canary claims, which no error can be reported for. `keep: false` for a blob of an older commit.
   */
  async boundedText(oid: string, options: { keep?: boolean } = {}): Promise<string | undefined> {
    try {
      if (options.keep === false) return await this.repo.readBlob(oid, { maxBytes: fileLimits.maxBytes });
      return await this.text(oid);
    } catch (error) {
      if (error instanceof BlobTooLargeError) return undefined;
      throw error;
    }
  }

  /**
   * The text of a blob (a generated file, or a target to edit), read once and kept while the last loaded
   * commit holds it, so that a Canary in motion does not read its generated file again on every poll.
   */
  async text(oid: string): Promise<string> {
    const known = this.texts.get(oid);
    if (known !== undefined) return known;
    const text = await this.repo.readBlob(oid, { maxBytes: fileLimits.maxBytes });
    this.texts.set(oid, text);
    return text;
  }

  /** Lets a text go: the caller will not ask for it again (a Canary at rest, whose plan is reused). */
  forget(oid: string): void {
    this.texts.delete(oid);
  }

  /**
   * The cross-file errors (a missing target, a template defined twice) get the line of their field too, so
   * every error names `file:line`. Their files are read again only then: errors are rare, and a load is once
   * per commit.
   */
  private async withLines(
    errors: ManifestError[],
    oids: ReadonlyMap<string, string>,
  ): Promise<ManifestError[]> {
    const lineless = new Set(
      errors.filter((e) => e.line === undefined && e.document !== undefined).map((e) => e.file),
    );
    if (lineless.size === 0) return errors;
    const byFile = new Map<string, ManifestError[]>();
    for (const error of errors) byFile.set(error.file, [...(byFile.get(error.file) ?? []), error]);
    const withLines: ManifestError[] = [];
    for (const [file, group] of byFile) {
      const oid = oids.get(file);
      const read = oid !== undefined && lineless.has(file);
      withLines.push(...(read ? withFieldLines(group, await this.repo.readBlob(oid)) : group));
    }
    return withLines.sort(compareManifestErrors);
  }

  private async parse(path: string, oid: string): Promise<ParsedEntry & { parsed: ParsedFile }> {
    let text: string;
    try {
      text = await this.repo.readBlob(oid, { maxBytes: fileLimits.maxBytes });
    } catch (error) {
      if (!(error instanceof BlobTooLargeError)) throw error;
      const message = tooLarge(error.bytes);
      const parsed = { ...nothing, errors: [{ code: 'ManifestInvalid' as const, file: path, message }] };
      return { oid, parsed, bytes: 0, nodes: 0 };
    }
    const parsed = parseManifestFile(path, text, this.options);
    const cost = { bytes: Buffer.byteLength(text), nodes: parsed.nodes ?? 0 };
    const empty =
      parsed.services.length +
        parsed.ingresses.length +
        parsed.canaries.length +
        parsed.metricTemplates.length +
        parsed.errors.length +
        parsed.warnings.length ===
      0;
    return { oid, parsed: empty ? nothing : parsed, ...cost };
  }

  /** The last commit's entry of `path`, if it was blob `oid`. */
  private known(path: string, oid: string | undefined): ParsedEntry | undefined {
    const entry = this.parsed.get(path);
    return entry !== undefined && entry.oid === oid ? entry : undefined;
  }

  private withinLimits(spent: { bytes: number; nodes: number }, entry: ParsedEntry): boolean {
    return (
      spent.bytes + entry.bytes <= this.limits.maxBytes && spent.nodes + entry.nodes <= this.limits.maxNodes
    );
  }

  private inRoot(path: string): boolean {
    return this.root === '' || path.startsWith(`${this.root}/`);
  }
}
