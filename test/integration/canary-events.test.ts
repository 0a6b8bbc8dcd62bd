import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { load, loadAll } from 'js-yaml';
import { pino } from 'pino';
import { CanaryEventRecorder } from '../../src/kube/canary-events.js';
import { installCrds } from '../support/control-plane.js';
import { canary, clusterIpSpec, kc, releaseCleanup, service, setup } from '../support/release-fixture.js';

afterEach(releaseCleanup);

async function installCanaryCrd(): Promise<void> {
  const crd = load(
    await readFile('deploy/crds/canaries.gitcanary.dev.yaml', 'utf8'),
  ) as V1CustomResourceDefinition;
  await installCrds(inject('controlPlane'), [crd]);
}

describe('the shipped CRDs', () => {
  it('are accepted by the API server and accept a Canary and the CanaryState gitcanary generates', async () => {
    const crds = await Promise.all(
      ['canaries.gitcanary.dev.yaml', 'canarystates.gitcanary.dev.yaml'].map(
        async (file) => load(await readFile(`deploy/crds/${file}`, 'utf8')) as V1CustomResourceDefinition,
      ),
    );
    await installCrds(inject('controlPlane'), crds);
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': canary(ns),
    }));
    await s.reconcile(0);
    const generated = loadAll(await s.human.show('apps/podinfo/podinfo.gitcanary.yaml')) as {
      kind: string;
    }[];
    const custom = kc.makeApiClient(CustomObjectsApi);
    const create = (plural: string, body: object) =>
      custom.createNamespacedCustomObject({
        group: 'gitcanary.dev',
        version: 'v1alpha1',
        namespace: s.ns,
        plural,
        body,
      });

    await create('canaries', load(canary(s.ns)) as object);
    await create('canarystates', generated.find((doc) => doc.kind === 'CanaryState') as object);

    const state = (await custom.getNamespacedCustomObject({
      group: 'gitcanary.dev',
      version: 'v1alpha1',
      namespace: s.ns,
      plural: 'canarystates',
      name: 'podinfo',
    })) as { spec: { phase: string; canaryWeight: number } };
    expect(state.spec).toMatchObject({ phase: 'Initialized', canaryWeight: 0 });
  });
});

describe('Kubernetes Events on the Canary', () => {
  it('records one Event per committed transition on the live Canary, and none when it is not in the cluster', async () => {
    await installCanaryCrd();
    const fixture: { clock?: { now: Date } } = {};
    const recorder = new CanaryEventRecorder(
      kc,
      pino({ level: 'silent' }),
      () => fixture.clock?.now ?? new Date(),
    );
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns),
      }),
      { notify: (resolved, plan) => recorder.record(resolved.canary, plan) },
    );
    fixture.clock = s.clock;
    await s.reconcile(0); // no Canary object in the cluster yet: nothing to attach an Event to
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'gitcanary.dev',
      version: 'v1alpha1',
      namespace: s.ns,
      plural: 'canaries',
      body: load(canary(s.ns)) as object,
    });
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );

    await s.reconcile(1);
    await s.reconcile(2);

    const events = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: s.ns });
    const onCanary = events.items
      .filter((e) => e.involvedObject.kind === 'Canary' && e.involvedObject.name === 'podinfo')
      .sort((a, b) => (a.lastTimestamp?.getTime() ?? 0) - (b.lastTimestamp?.getTime() ?? 0))
      .map((e) => [e.reason, e.message?.replace(/[0-9a-f]{12}/g, 'REV'), e.source?.component]);
    expect(onCanary).toEqual([
      ['Progressing', 'podinfo: new revision REV, analysis started', 'gitcanary'],
      ['Progressing', 'podinfo: weight 0 → 10', 'gitcanary'],
    ]);
  });
});
