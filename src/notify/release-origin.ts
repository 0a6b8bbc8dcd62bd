// The commit that started a release: the first commit whose target Service has the release's revision
// (normally the merge of the pull request that changed it). Found by walking first parents back from a
// transition of the release while the target's spec still hashes to that revision.
import { parseManifestFile } from '../core/manifests/parse-file.js';
import { revisionOf } from '../core/revision.js';
import type { CommitRecord } from '../git/repository.js';

export interface FileSource {
  readCommit(oid: string): Promise<CommitRecord | undefined>;
  readFileAt(commit: string, path: string): Promise<string | undefined>;
}

interface ReleaseTarget {
  /** The target Service's file, as the repository has it now. */
  file: string;
  namespace: string;
  name: string;
  defaultNamespace: string;
}

type OriginResult = { found: true; oid: string } | { found: false; incomplete: boolean };

/**
 * From `from` (a transition of the release), back along first parents: commits before the release's own
 * (a rollback that reverted the target) are passed over, then the run of commits at `revision` is
 * followed to its oldest. Incomplete when the source lacks a commit on the way.
 */
export async function findReleaseOrigin(
  source: FileSource,
  from: string,
  target: ReleaseTarget,
  revision: string,
  limit = 200,
): Promise<OriginResult> {
  let origin: string | undefined;
  let oid: string | undefined = from;
  for (let n = 0; oid !== undefined && n < limit; n += 1) {
    const commit = await source.readCommit(oid);
    if (!commit) return { found: false, incomplete: true };
    const text = await source.readFileAt(oid, target.file);
    const matches = text !== undefined && revisionIn(text, target) === revision;
    if (matches) origin = oid;
    else if (origin !== undefined) break;
    oid = commit.parents[0];
  }
  return origin !== undefined ? { found: true, oid: origin } : { found: false, incomplete: false };
}

function revisionIn(text: string, target: ReleaseTarget): string | undefined {
  const parsed = parseManifestFile(target.file, text, { defaultNamespace: target.defaultNamespace });
  const service = parsed.services.find((s) => s.namespace === target.namespace && s.name === target.name);
  return service ? revisionOf(service.object) : undefined;
}
