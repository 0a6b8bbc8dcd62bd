// Shards (`--shard`), against the real git server and API server: two processes on one repository, each
// reconciling the Canaries of its shard and leaving the others' Canaries, generated files and removals
// alone.
import { afterEach, describe, expect, it } from 'vitest';
import { canary, clusterIpSpec, releaseCleanup, service, setup } from '../support/release-fixture.js';

afterEach(releaseCleanup);

const inShard = (yaml: string, shard: string) =>
  yaml.replace(/^metadata:\n/mu, `metadata:\n  labels:\n    gitcanary.dev/shard: ${shard}\n`);

/** podinfo in shard `a`, web without the label. */
const files = (ns: string) => ({
  'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
  'apps/podinfo/canary.yaml': inShard(canary(ns), 'a'),
  'apps/web/service.yaml': service(ns, clusterIpSpec('blue')).replaceAll('podinfo', 'web'),
  'apps/web/canary.yaml': canary(ns).replaceAll('podinfo', 'web'),
});

const keys = (summary: { canaries: { canary: string }[] }) => summary.canaries.map((c) => c.canary);

describe('shards', () => {
  it('each reconcile only the Canaries of their shard, and say in the generated file which shard it is', async () => {
    const s = await setup(files, { shard: 'a' });
    const unlabelled = await s.another({ shard: '' });

    const a = await s.reconcile(0);
    expect(keys(a)).toEqual([`${s.ns}/podinfo`]);
    expect(a.commits).toHaveLength(1);
    await expect(s.human.show('apps/web/web.gitcanary.yaml')).rejects.toThrow();
    expect(await s.human.show('apps/podinfo/podinfo.gitcanary.yaml')).toContain(
      'labels:\n    gitcanary.dev/shard: a\n',
    );

    const other = await unlabelled(0);
    expect(keys(other)).toEqual([`${s.ns}/web`]);
    expect(other.commits).toHaveLength(1);
    expect(await s.human.show('apps/web/web.gitcanary.yaml')).not.toContain('gitcanary.dev/shard');
    expect(other.changes.created.every((name) => name.includes('/web'))).toBe(true);

    // Each sees the other's generated file and takes it for no orphan: nothing more to do on either side.
    expect((await s.reconcile(1)).commits).toEqual([]);
    expect((await unlabelled(1)).commits).toEqual([]);
  });

  it('put a deleted Canary’s traffic back in its own shard only', async () => {
    const s = await setup(files, { shard: 'a' });
    const unlabelled = await s.another({ shard: '' });
    await s.reconcile(0);
    await unlabelled(0);
    await s.human.deleteAndPush(['apps/podinfo/canary.yaml'], 'drop the podinfo canary');

    const elsewhere = await unlabelled(1);
    expect(elsewhere.commits).toEqual([]);
    expect(keys(elsewhere)).toEqual([`${s.ns}/web`]);

    const own = await s.reconcile(1);
    expect(keys(own)).toEqual([`${s.ns}/podinfo`]);
    expect((await s.human.log())[0]).toBe('podinfo: canary removed, traffic to primary');
  });

  it('hand a Canary over when its label moves it to another shard', async () => {
    const s = await setup(files, { shard: 'a' });
    const b = await s.another({ shard: 'b' });
    await s.reconcile(0);
    await s.human.commitAndPush(
      { 'apps/podinfo/canary.yaml': inShard(canary(s.ns), 'b') },
      'move podinfo to shard b',
    );

    // Shard a no longer has it, and does not take its generated file for an orphan.
    const left = await s.reconcile(1);
    expect(left.commits).toEqual([]);
    expect(keys(left)).toEqual([]);

    const taken = await b(1);
    expect(keys(taken)).toEqual([`${s.ns}/podinfo`]);
    expect(await s.human.show('apps/podinfo/podinfo.gitcanary.yaml')).toContain('gitcanary.dev/shard: b');
  });

  it('leave the old generated file of a Canary that moved to another shard and folder to that shard', async () => {
    const s = await setup(files, { shard: 'a' });
    await s.reconcile(0);
    await s.human.deleteAndPush(['apps/podinfo/canary.yaml'], 'move podinfo out');
    await s.human.commitAndPush(
      { 'apps/moved/canary.yaml': inShard(canary(s.ns), 'b') },
      'into shard b, in another folder',
    );

    // Its old generated file still says shard a, but its Canary is in the repository: no orphan.
    const left = await s.reconcile(1);
    expect(left.commits).toEqual([]);
    expect(left.changes.deleted).toEqual([]);
  });
});
