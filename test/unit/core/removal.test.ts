import { describe, expect, it } from 'vitest';
import { parseOrphanedFile } from '../../../src/core/generated-file.js';
import { planRemoval } from '../../../src/core/removal.js';
import { aCanary, aTarget, minutes, Rollout } from './builders.js';

/** The generated file of a Canary mid-run at weight 20 (green on the canary, blue promoted). */
function midRun(revertOnDeletion = false): string {
  const rollout = new Rollout(aCanary({ revertOnDeletion }));
  rollout.reconcile(minutes(0));
  rollout.reconcile(minutes(1), { target: aTarget('green') });
  rollout.reconcile(minutes(2));
  rollout.reconcile(minutes(3));
  const content = rollout.input.previous?.content;
  if (!content) throw new Error('nothing committed');
  return content;
}

const path = 'apps/podinfo/podinfo.gitcanary.yaml';
type Route = { spec: { rules: { backendRefs: { name: string; weight: number }[] }[] } };

describe('planRemoval: a Canary deleted from git, its generated file left', () => {
  it('sends all traffic to the primary: route 100/0, and the canary Service serving the primary spec', () => {
    const plan = planRemoval(path, midRun(), minutes(10));

    expect(plan?.commitMessage?.split('\n')[0]).toBe('podinfo: canary removed, traffic to primary');
    const [primary, canary, route] = plan?.desired ?? [];
    expect(canary?.spec).toEqual(primary?.spec);
    expect(primary?.spec).toMatchObject({ selector: { app: 'podinfo-blue' } });
    expect((route as unknown as Route).spec.rules[0]?.backendRefs.map((b) => b.weight)).toEqual([100, 0]);
    expect(plan?.state).toMatchObject({ canaryWeight: 0, removed: minutes(10).toISOString() });
    expect(parseOrphanedFile(plan?.content ?? '')?.owner).toEqual({
      name: 'podinfo',
      namespace: 'test',
      source: { file: 'apps/podinfo/canary.yaml' },
    });
  });

  it('says it once: the file it wrote plans nothing more', () => {
    const removed = planRemoval(path, midRun(), minutes(10))?.content ?? '';

    const again = planRemoval(path, removed, minutes(11));

    expect(again).toMatchObject({ desired: [], waiting: 'canary removed from git' });
    expect(again?.content).toBeUndefined();
  });

  it('with revertOnDeletion, deletes the generated file and its objects, the route first', () => {
    const plan = planRemoval(path, midRun(true), minutes(10));

    expect(plan?.remove).toBe(true);
    expect(plan?.deletions?.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'HTTPRoute/podinfo',
      'Service/podinfo-canary',
      'Service/podinfo-primary',
    ]);
  });

  it('plans nothing for a file that is not a generated file', () => {
    expect(
      planRemoval(path, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n', minutes(10)),
    ).toBeUndefined();
  });
});
