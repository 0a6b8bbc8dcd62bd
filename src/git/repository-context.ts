// What every verb of the repository edge shares (repository.ts builds it; each verb's module reads it), in a
// file of its own so that the verbs and the repository that wires them do not import each other.
import type { HttpClient } from 'isomorphic-git';
import type { ObjectStore } from './object-reader.js';
import type { PackObject } from './pack-writer.js';

/** Round trips to the server, so a benchmark or a test can see what a poll or a step cost. */
export interface GitStats {
  listServerRefs: number;
  fetches: number;
  pushes: number;
  /** HTTP requests behind the operations above (a protocol-v1 ref listing is one request). */
  httpRequests: number;
  /** Times the local store was found damaged and emptied, to be fetched again (store-health.ts). */
  repairs: number;
  /**
   * Objects object-reader.ts did not find or could not read, read by isomorphic-git instead: correct, but
   * about 30 times slower. More than a few mean a store the fast reader does not expect.
   */
  objectFallbacks: number;
  /** Fetches made by isomorphic-git, for a server that does not answer in protocol version 2 (fetch-head.ts). */
  fetchFallbacks: number;
}

/** Stats of a repository that has made no request yet. */
export function emptyGitStats(): GitStats {
  return {
    listServerRefs: 0,
    fetches: 0,
    pushes: 0,
    httpRequests: 0,
    repairs: 0,
    objectFallbacks: 0,
    fetchFallbacks: 0,
  };
}

/** A tree's entries as listing needs them, in git's order: blobs and subtrees, nothing else. */
export type TreeListing = { name: string; oid: string; tree: boolean }[];

/** The trees the last listing read, by oid, kept for the next one (see RepositoryContext.listing). */
interface ListingMemo {
  commit: string;
  root: string;
  trees: Map<string, TreeListing>;
}

/** An object of a commit we wrote, kept for its push. */
export type WrittenObject = PackObject & { oid: string };

/** What every verb needs; built once per Repository. */
export interface RepositoryContext {
  readonly gitdir: string;
  readonly url: string;
  readonly displayUrl: string;
  readonly branch: string;
  /** refs/heads/<branch> in the local store: the last head we fetched or pushed. */
  readonly localRef: string;
  readonly remoteRef: string;
  /**
   * The shared isomorphic-git cache (parsed pack indexes and pack data); reads without it re-parse them
   * each time. Replaced when the store is compacted, so always read it from the context.
   */
  cache: object;
  /** Packs the store may hold before the next fetch starts from an empty store. */
  readonly maxPacks: number;
  /** The last listing and its trees by oid: the next listing reads only trees that changed. */
  listing?: ListingMemo;
  /**
   * The objects each commit we wrote added to its parent (its blobs, its trees, itself), by commit oid,
   * until it is pushed: the push sends them as they are, without reading trees back to compare them.
   */
  readonly written: Map<string, { parent: string; objects: WrittenObject[] }>;
  /** Fast reads of blobs and trees (object-reader.ts); replaced when the store is compacted. */
  objects: ObjectStore;
  readonly http: HttpClient;
  readonly stats: GitStats;
  /** A fresh header object per call: isomorphic-git adds to the object it is given. */
  headers(): Record<string, string>;
}
