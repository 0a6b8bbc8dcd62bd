// `gitcanary status`: the rollout state of every Canary, read from git alone (the state documents), so it
// answers the same on any machine, with or without cluster access. So its condition is what git alone
// proves: Stalled for input a person must fix (an invalid manifest or generated file, a refused hand edit);
// Retrying is a moment of the cluster or the git server, seen by a running reconciler (/metrics, Events).
import { generatedPath } from '../core/generated-file.js';
import { findHandEdit, refusedHandEditMessage } from '../core/hand-edits.js';
import { formatManifestError } from '../core/manifests/manifest-error.js';
import { failedCondition, type Condition } from '../core/outcome-class.js';
import type { RolloutState } from '../core/model.js';
import { weightTimeline, type TimelineCommit } from '../core/weight-timeline.js';
import { pollHead } from '../git/poll-head.js';
import type { Repository } from '../git/repository.js';
import { ManifestLoader } from './manifest-loader.js';

interface CanaryStatus {
  canary: string;
  file: string;
  /** Absent before the first reconcile. */
  state?: RolloutState;
  /** The weights of the latest run, from the commit trailers (when history was read). */
  timeline?: string;
  error?: string;
  /** Stalled when git alone shows that a person must act; absent otherwise (status cannot see the cluster). */
  condition?: Condition;
  /** The code of the error, with the condition. */
  reason?: string;
}

export interface RepositoryStatus {
  head: string;
  canaries: CanaryStatus[];
  errors: string[];
}

export async function readStatus(
  repo: Repository,
  root: string,
  defaultNamespace: string,
  history: readonly TimelineCommit[] = [],
): Promise<RepositoryStatus> {
  const { head } = await pollHead(repo);
  const loader = new ManifestLoader(repo, root, { defaultNamespace });
  const { oids, assembled } = await loader.load(head);
  const canaries: CanaryStatus[] = [];
  const errors: string[] = [];
  for (const error of assembled.errors) {
    if (error.canary)
      canaries.push({
        canary: error.canary,
        file: error.file,
        error: formatManifestError(error),
        ...failedCondition({ source: 'manifest', code: error.code }),
      });
    else errors.push(formatManifestError(error));
  }
  for (const { canary, target } of assembled.canaries) {
    const key = `${canary.namespace}/${canary.name}`;
    const path = generatedPath(canary);
    const oid = oids.get(path);
    if (!oid) {
      canaries.push({ canary: key, file: canary.source.file });
      continue;
    }
    const parsed = await loader.generatedFile(canary, path, oid);
    const timeline = weightTimeline(history, key);
    if (!parsed.ok) {
      canaries.push({
        canary: key,
        file: canary.source.file,
        error: formatManifestError(parsed.error),
        ...failedCondition({ source: 'plan', code: 'GeneratedFileInvalid' }),
      });
      continue;
    }
    const edit = findHandEdit(parsed.file, target, canary);
    canaries.push({
      canary: key,
      file: canary.source.file,
      state: parsed.file.state,
      ...(timeline ? { timeline } : {}),
      ...(edit.kind === 'refused'
        ? {
            error: refusedHandEditMessage(path, edit.edited),
            ...failedCondition({ source: 'plan', code: 'HandEdited' }),
          }
        : {}),
    });
  }
  canaries.sort((a, b) => (a.canary < b.canary ? -1 : a.canary > b.canary ? 1 : 0));
  return { head, canaries, errors };
}
