// One poll of the repository: ask the server for the branch head and fetch only when it moved. A fetch
// negotiates even when nothing changed, so an idle repository must cost the ref listing alone.
import type { Repository } from './repository.js';

interface PolledHead {
  head: string;
  /** True when the head differs from the local one and was fetched. */
  moved: boolean;
}

export async function pollHead(
  repo: Pick<Repository, 'remoteHead' | 'localHead' | 'fetch'>,
): Promise<PolledHead> {
  const [remote, local] = await Promise.all([repo.remoteHead(), repo.localHead()]);
  if (remote === local) return { head: remote, moved: false };
  return { head: await repo.fetch(remote), moved: true };
}
