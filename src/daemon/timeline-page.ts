// `GET /` of `gitcanary run`: the timeline page. Reads only what this replica already holds (the local git
// store at the last head the reconciler saw, and the Canaries it resolved), so serving the page never
// moves the store or asks the git server anything, except one shallow clone of recent history when the
// store is too shallow for the charts (after a restart). One page per head, remembered.
import type { ServerResponse } from 'node:http';
import { generatedPath, parseGeneratedFile, type GeneratedFileResult } from '../core/generated-file.js';
import { fileLimits, tooLarge } from '../core/load-yaml.js';
import type { CanarySpec } from '../core/model.js';
import { BlobTooLargeError } from '../git/errors.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import type { ParseManifestOptions } from '../core/manifests/parse-file.js';
import { weightRuns } from '../core/weight-runs.js';
import type { HistoryClone } from '../git/history-clone.js';
import { pollHead } from '../git/poll-head.js';
import type { CommitRecord, Repository } from '../git/repository.js';
import { ManifestLoader } from '../reconcile/manifest-loader.js';
import { renderTimeline, type PageCanary } from './timeline-html.js';

interface TimelinePageOptions {
  repo: Pick<Repository, 'displayUrl' | 'branch' | 'listFiles' | 'readBlob' | 'readCommit'>;
  /** The head and its Canaries: the reconciler's on the replica that reconciles (pageView below). */
  view: () => Promise<PageView>;
  /** A deeper history, for charts the shallow store cannot draw. */
  history: () => Promise<HistoryClone>;
  commitUrl?: (oid: string) => string;
  refreshSeconds?: number;
  /** Commits read back from the head for the charts, as `gitcanary status` reads 100. */
  depth?: number;
  clock?: () => Date;
}

interface PageView {
  head: string | undefined;
  canaries: readonly ResolvedCanary[];
}

export type PageHandler = (res: ServerResponse) => Promise<void>;

export function timelinePage(options: TimelinePageOptions): PageHandler {
  const depth = options.depth ?? 100;
  const known = new Map<string, CommitRecord>();
  let cloned = false;
  let page: { key: string; canaries: PageCanary[] } | undefined;

  /** First parents back from `head`, newest first; the store first, one clone when it runs out. */
  const recent = async (head: string): Promise<CommitRecord[]> => {
    const commits: CommitRecord[] = [];
    let oid: string | undefined = head;
    while (oid !== undefined && commits.length < depth) {
      let commit: CommitRecord | undefined = known.get(oid) ?? (await options.repo.readCommit(oid));
      if (!commit && !cloned) {
        cloned = true;
        const clone = await options.history();
        try {
          for (let at: string | undefined = oid, n = 0; at !== undefined && n < depth; n += 1) {
            const c = await clone.readCommit(at);
            if (!c) break;
            known.set(c.oid, c);
            at = c.parents[0];
          }
        } finally {
          await clone.dispose();
        }
        commit = known.get(oid);
      }
      if (!commit) break;
      commits.push(commit);
      oid = commit.parents[0];
    }
    // What the next head's walk will meet again; older commits go.
    const keep = new Set(commits.map((c) => c.oid));
    for (const oid of known.keys()) if (!keep.has(oid)) known.delete(oid);
    for (const c of commits) known.set(c.oid, c);
    return commits;
  };

  const build = async (head: string, resolved: readonly ResolvedCanary[]): Promise<PageCanary[]> => {
    const files = new Map((await options.repo.listFiles(head)).map((f) => [f.path, f.oid]));
    const history = await recent(head);
    const canaries: PageCanary[] = [];
    for (const { canary } of resolved) {
      const key = `${canary.namespace}/${canary.name}`;
      const runs = weightRuns(history, key);
      const oid = files.get(generatedPath(canary));
      if (!oid) {
        canaries.push({ canary: key, runs });
        continue;
      }
      const parsed = await readGenerated(options.repo, canary, oid);
      canaries.push(
        parsed.ok
          ? { canary: key, state: parsed.file.state, runs }
          : { canary: key, error: parsed.message, runs },
      );
    }
    return canaries.sort((a, b) => (a.canary < b.canary ? -1 : a.canary > b.canary ? 1 : 0));
  };

  // One build at a time: concurrent requests share it rather than read the store side by side.
  let building: Promise<{ head: string | undefined; canaries: PageCanary[] }> | undefined;
  const current = async () => {
    const { head, canaries: resolved } = await options.view();
    if (!head) return { head, canaries: [] };
    const key = `${head}:${resolved.length}`;
    if (page?.key !== key) page = { key, canaries: await build(head, resolved) };
    return { head, canaries: page.canaries };
  };

  return async (res) => {
    building ??= current().finally(() => (building = undefined));
    const { head, canaries } = await building;
    const html = renderTimeline({
      repository: options.repo.displayUrl,
      branch: options.repo.branch,
      ...(head ? { head } : {}),
      generatedAt: (options.clock ?? (() => new Date()))().toISOString(),
      refreshSeconds: options.refreshSeconds ?? 10,
      canaries,
      ...(options.commitUrl ? { commitUrl: options.commitUrl } : {}),
    });
    res
      .writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        // Nothing on the page runs or loads: say so to the browser.
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'",
        'X-Content-Type-Options': 'nosniff',
      })
      .end(html);
  };
}

interface PageViewOptions {
  repo: Pick<Repository, 'localHead' | 'remoteHead' | 'fetch' | 'listFiles' | 'readBlob'>;
  /** True while this replica runs the reconcile loop (the leader, or a lone replica). */
  reconciling: () => boolean;
  /** The Canaries the reconciler last resolved. */
  canaries: () => readonly ResolvedCanary[];
  root: string;
  /** As the reconciler parses the manifests (--default-namespace, --default-provider). */
  parse: ParseManifestOptions;
  /** How long a follower's own look at the branch holds before it polls again. */
  pollSeconds: number;
}

/**
 * What the page shows: on the replica that reconciles, its last head and Canaries, without any request. A
 * follower's store is idle, so it polls the branch itself (at most every `pollSeconds`) and loads the
 * manifests with a loader of its own: every replica behind the Service answers the same page.
 */
export function pageView(options: PageViewOptions): () => Promise<PageView> {
  const loader = new ManifestLoader(options.repo, options.root, options.parse);
  let looked: { at: number; view: PageView } | undefined;
  return async () => {
    if (options.reconciling()) {
      looked = undefined;
      return { head: await options.repo.localHead(), canaries: options.canaries() };
    }
    if (looked && performance.now() - looked.at < options.pollSeconds * 1000) return looked.view;
    const { head } = await pollHead(options.repo);
    const view = { head, canaries: (await loader.load(head)).assembled.canaries };
    looked = { at: performance.now(), view };
    return view;
  };
}

/** A generated file read within the size limit of a file, as the reconciler reads it. */
async function readGenerated(
  repo: Pick<Repository, 'readBlob'>,
  canary: CanarySpec,
  oid: string,
): Promise<GeneratedFileResult> {
  try {
    return parseGeneratedFile(canary, await repo.readBlob(oid, { maxBytes: fileLimits.maxBytes }));
  } catch (error) {
    if (error instanceof BlobTooLargeError) return { ok: false, message: tooLarge(error.bytes) };
    throw error;
  }
}
