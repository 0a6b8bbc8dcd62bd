import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { load, loadAll } from 'js-yaml';
import { pino } from 'pino';
import { formatStatus } from '../../src/cli/commands/inspect.js';
import { CanaryEventRecorder } from '../../src/kube/canary-events.js';
import { readStatus } from '../../src/reconcile/read-status.js';
import { installCrds } from '../../harness/control-plane.js';
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

  it('accept, with strict field validation, a gitcanary.dev Canary using every kind of field validate accepts', async () => {
    await installCanaryCrd();
    const ns = (await setup(() => ({ 'README.md': 'empty' }))).ns;
    const everyKind = load(`apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata: { name: web, namespace: ${ns}, labels: { team: web }, annotations: { gitcanary.dev/paused: "true" } }
spec:
  provider: gatewayapi
  metricsServer: http://prometheus:9090
  revertOnDeletion: true
  autoscalerRef: { apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: web, primaryScalerReplicas: { minReplicas: 2 } }
  targetRef: { apiVersion: v1, kind: Service, name: web }
  progressDeadlineSeconds: 60
  service:
    port: 9898
    targetPort: http
    portDiscovery: true
    trafficDistribution: PreferClose
    gatewayRefs: [{ group: '', kind: Service, name: web, port: 9898 }]
    hosts: [web.example.com]
    match: [{ uri: { prefix: /api }, headers: { x-a: { exact: b } } }]
    headers: { request: { set: { x-a: b } }, response: { remove: [server] } }
    rewrite: { uri: /v2 }
    mirror: [{ backendRef: { name: shadow, port: 80 }, percent: 5 }]
    retries: { attempts: 3, perTryTimeout: 1s }
    corsPolicy: { allowOrigin: ['*'] }
    trafficPolicy: { tls: { mode: ISTIO_MUTUAL } }
    apex: { labels: { a: b } }
    unmanagedMetadata: { labels: [owner] }
  analysis:
    interval: 1m
    threshold: 0
    iterations: 5
    stepWeightPromotion: 20
    mirror: true
    mirrorWeight: 10
    primaryReadyThreshold: 50
    match: [{ headers: { user-agent: { regex: '.*Firefox.*' } } }]
    sessionAffinity: { cookieName: c, maxAge: 60, sameSite: Lax }
    alerts: [{ name: on-call, severity: error, providerRef: { name: slack } }]
    metrics: [{ name: error-rate, templateRef: { name: error-rate }, thresholdRange: { max: 1 }, templateVariables: { a: b } }]
    webhooks: [{ name: load, type: rollout, url: http://loadtester/, timeout: 5s, metadata: { cmd: hey }, muteAlert: true }]
`) as object;
    const custom = kc.makeApiClient(CustomObjectsApi);

    const created: unknown = await custom.createNamespacedCustomObject({
      group: 'gitcanary.dev',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'canaries',
      body: everyKind,
      fieldValidation: 'Strict',
    });

    expect(created).toMatchObject({
      spec: { revertOnDeletion: true, analysis: { stepWeightPromotion: 20 } },
    });
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

  it('tells once that a Canary is Stalled, with the error code first, and once that it recovered', async () => {
    await installCanaryCrd();
    const recorder = new CanaryEventRecorder(kc, pino({ level: 'silent' }), () => new Date());
    const s = await setup((ns) => ({
      'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
      'apps/podinfo/canary.yaml': canary(ns),
    }));
    const pass = async (minutes: number) => {
      const summary = await s.reconcile(minutes);
      await recorder.recordConditions(summary.canaries, s.reconciler.resolvedCanaries());
      return summary;
    };
    const initialized = await pass(0);
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'gitcanary.dev',
      version: 'v1alpha1',
      namespace: s.ns,
      plural: 'canaries',
      body: load(canary(s.ns)) as object,
    });
    const generatedPath = 'apps/podinfo/podinfo.gitcanary.yaml';
    const generated = await s.human.show(generatedPath);
    // Both generated Services edited by hand while the target moved on: nothing to put back from.
    await s.human.commitAndPush(
      {
        [generatedPath]: generated.replaceAll('podinfo-blue', 'podinfo-edited'),
        'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')),
      },
      'hand edit and release green',
    );

    const stalled = await pass(1);
    const stillStalled = await pass(2);
    // Listed between the passes: two Events of the same second have no order of their own.
    const toldWhileStalled = await toldOnCanary(s.ns);
    const status = await readStatus(s.repo, '', 'default');
    await s.human.commitAndPush({ [generatedPath]: generated }, 'revert the hand edit');
    const recovered = await pass(3);
    await pass(4);

    expect(initialized.canaries[0]).toMatchObject({ condition: 'Ready' });
    expect(stalled.canaries[0]).toMatchObject({ condition: 'Stalled', reason: 'HandEdited' });
    expect(stillStalled.canaries[0]).toMatchObject({ condition: 'Stalled', reason: 'HandEdited' });
    expect(recovered.canaries[0]).toMatchObject({ condition: 'Ready', phase: 'Progressing' });
    // `status` reads git alone, and git alone shows this stall.
    expect(status.canaries[0]).toMatchObject({ condition: 'Stalled', reason: 'HandEdited' });
    expect(formatStatus(status)).toMatch(
      new RegExp(
        `\\n${s.ns}/podinfo\\s+Stalled\\s+HandEdited: ${generatedPath}: podinfo-primary and podinfo-canary edited by hand`,
      ),
    );
    const told = await toldOnCanary(s.ns);
    expect(toldWhileStalled).toEqual([['Warning', 'Stalled', 'HandEdited']]);
    expect(told).toHaveLength(2);
    expect(told).toEqual(
      expect.arrayContaining([
        ['Warning', 'Stalled', 'HandEdited'],
        ['Normal', 'Recovered', 'reconciled again after HandEdited'],
      ]),
    );
  });
});

/** The Events on the Canary podinfo: type, reason, and the message up to its first colon. */
async function toldOnCanary(namespace: string): Promise<(string | undefined)[][]> {
  const events = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace });
  return events.items
    .filter((e) => e.involvedObject.kind === 'Canary' && e.involvedObject.name === 'podinfo')
    .map((e) => [e.type, e.reason, e.message?.split(':')[0]]);
}
