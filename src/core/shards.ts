// Shards, as Flux shards its controllers: a process started with `--shard <key>` reconciles only the
// Canaries labelled `gitcanary.dev/shard: <key>`, one started with `--shard ''` only the Canaries without
// that label, and one without the flag every Canary. All of them read the same branch and push to it; a
// shard leaves the others' Canaries, their generated files and their errors alone.
//
// A generated file carries its Canary's shard (a label on its state document), so that when the Canary is
// deleted from git, exactly one shard (the one it was in) puts its traffic back and deletes its objects.
export const shardLabel = 'gitcanary.dev/shard';

/** Whether a Canary in `shard` (undefined or '' when unlabelled) is reconciled by a process of `selected`. */
export function inShard(selected: string | undefined, shard: string | undefined): boolean {
  return selected === undefined || (shard ?? '') === selected;
}
