// `gitcanary approve|abort|pause|resume`: a gate is an annotation on the Canary, so setting one is a
// commit to the Canary's own file (a minimal edit that keeps its comments), never a cluster write. On a
// concurrent push the edit is made again on the new head.
import { generatedPath } from '../core/generated-file.js';
import { setAnnotation } from '../core/edit-manifest.js';
import type { CanarySpec, RolloutState } from '../core/model.js';
import { pollHead } from '../git/poll-head.js';
import { pushWithRetry } from '../git/push-with-retry.js';
import type { Repository } from '../git/repository.js';
import { ManifestLoader } from './manifest-loader.js';

class CanaryNotFoundError extends Error {
  readonly code = 'CanaryNotFound';
  constructor(message: string) {
    super(message);
    this.name = 'CanaryNotFoundError';
  }
}

export interface AnnotationChange {
  key: string;
  /** undefined removes the annotation. */
  value: string | undefined;
  /** Commit subject without the canary's name, e.g. `approve promotion of 3f1c0a9e42b7`. */
  subject: string;
}

interface AnnotateCanaryOptions {
  repo: Repository;
  root: string;
  defaultNamespace: string;
  /** `namespace/name`, or `name` in the default namespace. */
  canary: string;
  /** Decides the change from the Canary and its state in git (e.g. approve the revision under analysis). */
  change: (canary: CanarySpec, state: RolloutState | undefined) => AnnotationChange;
  author: { name: string; email: string };
  clock: () => Date;
}

interface AnnotateResult {
  /** The commit pushed, or undefined when the annotation already had that value. */
  commit: string | undefined;
  file: string;
  subject: string;
}

export async function annotateCanary(options: AnnotateCanaryOptions): Promise<AnnotateResult> {
  const { repo } = options;
  const key = options.canary.includes('/') ? options.canary : `${options.defaultNamespace}/${options.canary}`;
  const loader = new ManifestLoader(repo, options.root, { defaultNamespace: options.defaultNamespace });
  let result: Omit<AnnotateResult, 'commit'> | undefined;
  const { head } = await pollHead(repo);
  const pushed = await pushWithRetry({
    repo,
    head,
    attempt: async (at) => {
      const { oids, assembled } = await loader.load(at);
      const resolved = assembled.canaries.find((r) => `${r.canary.namespace}/${r.canary.name}` === key);
      if (!resolved) {
        const known = assembled.canaries.map((r) => `${r.canary.namespace}/${r.canary.name}`).join(', ');
        throw new CanaryNotFoundError(
          `Canary ${key} not found (or invalid) in ${repo.displayUrl}; known: ${known || 'none'}`,
        );
      }
      const { canary } = resolved;
      const path = generatedPath(canary);
      const generatedOid = oids.get(path);
      const parsed = generatedOid ? await loader.generatedFile(canary, path, generatedOid) : undefined;
      const change = options.change(canary, parsed?.ok ? parsed.file.state : undefined);
      result = { file: canary.source.file, subject: `${canary.name}: ${change.subject}` };
      if (canary.annotations[change.key] === change.value) return undefined;
      const text = await loader.text(oids.get(canary.source.file) ?? '');
      return repo.commit({
        parent: at,
        changes: [
          {
            path: canary.source.file,
            content: setAnnotation(text, canary.source.document, change.key, change.value),
          },
        ],
        message: `${result.subject}\n\nCanary: ${key}\nCanary-Gate: ${change.key}${change.value === undefined ? '' : `=${change.value}`}\n`,
        author: options.author,
        timestamp: Math.floor(options.clock().getTime() / 1000),
      });
    },
  });
  if (!result) throw new Error('unreachable: pushWithRetry calls attempt at least once');
  return { ...result, commit: pushed.pushed };
}
