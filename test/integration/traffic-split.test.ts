// Real requests through a real Traefik while gitcanary releases: the Reconciler (release-fixture, simulated
// clock) steps a Canary with provider traefik (a TraefikService behind an IngressRoute) and one with provider
// gatewayapi (an HTTPRoute on a Traefik Gateway). At each committed weight 400 requests go through Traefik to
// the blue (primary) and green (canary) loopback backends, and the observed green share must be the weight
// within ±5 points; the measured split is printed. Then promotion. A third release has a green answering
// 500: Prometheus scrapes Traefik's own per-service request counter, and a MetricTemplate over its 5xx share
// rolls the canary back, after which no request reaches green.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { CustomObjectsApi, PatchStrategy } from '@kubernetes/client-node';
import { AddressPolicy } from '../../src/analysis/address-policy.js';
import { runAnalysis } from '../../src/analysis/run-analysis.js';
import type { AnalysisRequest } from '../../src/reconcile/context.js';
import { pointServiceAt, sendRequests, startBackend, type Backend } from '../../harness/loopback-backends.js';
import { waitUntil } from '../../harness/owned-process.js';
import { instantQuery } from '../../harness/prometheus.js';
import { kc, objects, releaseCleanup, setup, type Setup } from '../support/release-fixture.js';
import {
  createTraefikGateway,
  routeParentConditions,
  startTraefik,
  type Traefik,
} from '../../harness/traefik.js';
import {
  ingressRouteTo,
  waitForEndpoints,
  waitForWeights,
  type SplitOf,
} from '../../harness/traefik-split.js';

const prometheus = inject('prometheus');
const requests = 400;
const tolerance = 5;
const host = 'podinfo.test';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await releaseCleanup();
});

const service = (ns: string, color: string) => `apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: ${ns} }
spec:
  selector: { app: podinfo-${color} }
  ports: [{ name: http, port: 9898, targetPort: 9898 }]
`;

// What a Flagger user would write for Traefik: the 5xx share of the canary's requests as Traefik counts them
// (its services are named <namespace>-<service>-<port>@<provider>). No 5xx at all is 0, not "no data"; no
// request at all is no data, and a failed check.
const template = (ns: string) => `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: { name: traefik-5xx, namespace: ${ns} }
spec:
  provider: { type: prometheus, address: ${prometheus.url} }
  query: |
    100 * (
      sum(rate(traefik_service_requests_total{service=~"{{ namespace }}-{{ target }}-canary-.*", code=~"5.."}[{{ interval }}]))
      or vector(0)
    )
    / sum(rate(traefik_service_requests_total{service=~"{{ namespace }}-{{ target }}-canary-.*"}[{{ interval }}]))
`;

const canary = (ns: string, provider: string, service: string) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: ${ns} }
spec:
  provider: ${provider}
  targetRef: { apiVersion: v1, kind: Service, name: podinfo }
  service:
${service}
  analysis:
    interval: 1m
    threshold: 1
    stepWeights: [10, 30, 50]
    metrics:
      - name: error-rate
        templateRef: { name: traefik-5xx }
        thresholdRange: { max: 1 }
        interval: 30s
`;

interface DataPlane {
  s: Setup;
  traefik: Traefik;
  blue: Backend;
  green: Backend;
}

async function dataPlane(provider: 'traefik' | 'gatewayapi'): Promise<DataPlane> {
  const serviceBlock =
    provider === 'traefik'
      ? '    port: 9898'
      : `    port: 9898\n    hosts: [${host}]\n    gatewayRefs: [{ name: traefik }]`;
  const s = await setup(
    (ns) => ({
      'apps/podinfo/service.yaml': service(ns, 'blue'),
      'apps/podinfo/canary.yaml': canary(ns, provider, serviceBlock),
      'apps/podinfo/metric-template.yaml': template(ns),
    }),
    {
      analyze: ({ resolved, needs, state, revision }: AnalysisRequest) =>
        runAnalysis({
          ...resolved,
          needs,
          phase: state.phase,
          revision,
          metricsServer: prometheus.url,
          // The harness's Prometheus listens on loopback, which the default address policy refuses.
          addressPolicy: new AddressPolicy({ allowCidrs: ['127.0.0.1/32'] }),
        }),
    },
  );
  const [blue, green] = await Promise.all([startBackend('blue'), startBackend('green')]);
  stops.push(
    () => blue.stop(),
    () => green.stop(),
  );
  const traefik = await startTraefik({
    binary: inject('traefikBinary'),
    controlPlane: inject('controlPlane'),
    namespaces: [s.ns],
    prometheus,
  });
  stops.push(() => traefik.stop());
  if (provider === 'traefik') {
    await objects.patch(
      ingressRouteTo(s.ns, 'podinfo', host),
      undefined,
      undefined,
      'gitops',
      true,
      PatchStrategy.ServerSideApply,
    );
  } else {
    await createTraefikGateway(kc, s.ns, traefik, 'traefik');
  }
  return { s, traefik, blue, green };
}

/** What Traefik has loaded for this data plane's podinfo split. */
const splitOf = (d: DataPlane): SplitOf => ({ traefik: d.traefik, namespace: d.s.ns, target: 'podinfo' });

/** Until Traefik has accepted the HTTPRoute's current generation, gitcanary holds the step (as it should). */
async function waitForAcceptance(d: DataPlane): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const group = {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    namespace: d.s.ns,
    plural: 'httproutes',
  };
  await waitUntil(
    'traefik to accept the HTTPRoute',
    async () => {
      const route = (await custom.getNamespacedCustomObject({ ...group, name: 'podinfo' })) as {
        metadata: { generation: number };
      };
      const accepted = (await routeParentConditions(kc, d.s.ns, 'podinfo', 'traefik')).find(
        (c) => c.type === 'Accepted',
      ) as { status: string; observedGeneration?: number } | undefined;
      return accepted?.status === 'True' && (accepted.observedGeneration ?? 0) >= route.metadata.generation;
    },
    { timeoutMs: 30_000, intervalMs: 100, process: d.traefik.process },
  );
}

/** Sends the requests, prints the split, and returns green's share in percent. */
async function measure(d: DataPlane, provider: string, what: string): Promise<number> {
  const sample = await sendRequests(d.traefik.webUrl, host, requests);
  const green = sample.percent('green');
  console.log(
    `[traffic split] ${provider} ${what}: ${requests} requests → blue ${sample.byBackend.blue ?? 0}, green ${sample.byBackend.green ?? 0} (${green.toFixed(1)} % green), unrouted ${sample.unrouted}`,
  );
  expect(sample.unrouted).toBe(0);
  return green;
}

/**
 * Waits until Prometheus sees the canary's requests as a rate, which the MetricTemplate needs. A counter
 * whose first scrape already holds all of a burst has no increase yet (its series starts there), so a few
 * more requests go through Traefik between scrapes until the rate over the check's window is above 0.
 */
async function waitForCanaryRate(d: DataPlane): Promise<void> {
  const query = `sum(rate(traefik_service_requests_total{traefik="${d.traefik.id}", service=~"${d.s.ns}-podinfo-canary-.*"}[30s]))`;
  await waitUntil(
    'Prometheus to see a rate of canary requests through traefik',
    async () => {
      if (((await instantQuery(prometheus.url, query))[0]?.value ?? 0) > 0) return true;
      await sendRequests(d.traefik.webUrl, host, 40);
      return false;
    },
    { timeoutMs: 20_000, intervalMs: 1_200 },
  );
}

async function release(provider: 'traefik' | 'gatewayapi'): Promise<void> {
  const d = await dataPlane(provider);
  const { s } = d;
  const step = async (minute: number) => {
    const summary = await s.reconcile(minute);
    if (provider === 'gatewayapi') await waitForAcceptance(d);
    return summary;
  };

  expect((await step(0)).canaries[0]).toMatchObject({ phase: 'Initialized', weight: 0 });
  await pointServiceAt(kc, s.ns, 'podinfo-primary', d.blue);
  await pointServiceAt(kc, s.ns, 'podinfo-canary', d.green);
  await waitForWeights(splitOf(d), [100, 0]);
  await waitForEndpoints(splitOf(d), 'primary', d.blue);
  expect(await measure(d, provider, 'initialized, weight 0')).toBe(0);

  await s.human.commitAndPush({ 'apps/podinfo/service.yaml': service(s.ns, 'green') }, 'release green');
  expect((await step(1)).canaries[0]).toMatchObject({ phase: 'Progressing', weight: 0 });
  let minute = 2;
  for (const weight of [10, 30, 50]) {
    const summary = await step(minute);
    minute += 1;
    expect(summary.canaries[0]).toMatchObject({ phase: 'Progressing', weight });
    await waitForWeights(splitOf(d), [100 - weight, weight]);
    await waitForEndpoints(splitOf(d), 'canary', d.green);
    const green = await measure(d, provider, `committed weight ${weight}`);
    expect(Math.abs(green - weight)).toBeLessThanOrEqual(tolerance);
    await waitForCanaryRate(d);
  }

  const promoted = await step(minute);
  expect(promoted.canaries[0]).toMatchObject({ phase: 'Succeeded', weight: 0 });
  // One pass runs promoting → finalising → promoted; the last analysis is in the promoting commit.
  expect((await s.human.log()).slice(0, 3)).toEqual([
    expect.stringMatching(/^podinfo: promoted /),
    expect.stringMatching(/^podinfo: weight 50 → 0, finalising/),
    expect.stringMatching(/^podinfo: promoting /),
  ]);
  expect(await s.human.message(2)).toMatch(/Analysis: error-rate=0 max=1 pass/);
  // The primary now has green's spec: its endpoints are green's, as the selector would make them.
  await pointServiceAt(kc, s.ns, 'podinfo-primary', d.green);
  await waitForWeights(splitOf(d), [100, 0]);
  await waitForEndpoints(splitOf(d), 'primary', d.green);
  expect(await measure(d, provider, 'promoted, weight 0 (primary is green)')).toBe(100);
}

describe('a release moving real requests through Traefik', { timeout: 240_000 }, () => {
  it('moves the committed share of requests to the canary at each step of a traefik (TraefikService) release', async () => {
    await release('traefik');
  });

  it('moves the committed share of requests to the canary at each step of a gatewayapi (HTTPRoute on a Traefik Gateway) release', async () => {
    await release('gatewayapi');
  });

  it("rolls back a canary that answers 500, judged by Prometheus from Traefik's own request metrics", async () => {
    const d = await dataPlane('traefik');
    const { s } = d;
    await s.reconcile(0);
    await pointServiceAt(kc, s.ns, 'podinfo-primary', d.blue);
    await pointServiceAt(kc, s.ns, 'podinfo-canary', d.green);
    await s.human.commitAndPush({ 'apps/podinfo/service.yaml': service(s.ns, 'green') }, 'release green');
    await s.reconcile(1);
    d.green.setStatus(500);

    expect((await s.reconcile(2)).canaries[0]).toMatchObject({ phase: 'Progressing', weight: 10 });
    await waitForWeights(splitOf(d), [90, 10]);
    await waitForEndpoints(splitOf(d), 'primary', d.blue);
    await waitForEndpoints(splitOf(d), 'canary', d.green);
    const green = await measure(d, 'traefik', 'committed weight 10, green answering 500');
    await waitForCanaryRate(d);
    const judged = await s.reconcile(3);

    expect(Math.abs(green - 10)).toBeLessThanOrEqual(tolerance);
    expect(judged.canaries[0]).toMatchObject({ phase: 'Failed', weight: 0 });
    expect(await s.human.message()).toMatch(/Analysis: error-rate=100 max=1 fail/);
    await waitForWeights(splitOf(d), [100, 0]);
    expect(await measure(d, 'traefik', 'rolled back, weight 0')).toBe(0);
  });
});
