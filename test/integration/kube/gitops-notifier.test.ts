import { Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import { GitOpsNotifier, type NotifyResult, type NotifyTarget } from '../../../src/kube/gitops-notifier.js';
import { toolObjects } from '../../support/gitops-objects.js';
import { RawKube, refOf, type Unstructured } from '../../support/raw-kube.js';
import { canary, clusterIpSpec, kc, releaseCleanup, service, setup } from '../../support/release-fixture.js';
import { createTestNamespace } from '../../support/test-namespace.js';

// The annotations gitcanary --notify sets, on the real Flux and Argo CD CRDs installed on the test API server.
const kube = new RawKube(inject('controlPlane'));
afterAll(() => kube.close());
afterEach(releaseCleanup);

const now = new Date('2026-11-26T10:00:00.000Z');

function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join(''), entries };
}

/** Flux's GitRepository and Kustomization, or Argo CD's Application, named `apps` in a new namespace. */
async function toolNamespace(tool: 'flux' | 'argocd'): Promise<{ ns: string; objects: Unstructured[] }> {
  const ns = await createTestNamespace(kc, 'notify');
  const objects = toolObjects({
    tool,
    name: 'apps',
    namespace: ns,
    git: { url: 'https://git.example.test/deploy.git' },
    path: 'apps/podinfo',
    intervalSeconds: 60,
  });
  for (const object of objects) {
    const { status, body } = await kube.create(object, 'Strict');
    expect(status, JSON.stringify(body)).toBe(201);
  }
  return { ns, objects };
}

function notifierFor(targets: NotifyTarget[], clock = () => now) {
  const results: [string, NotifyResult][] = [];
  const logs = capturedLogger();
  const notifier = new GitOpsNotifier(kc, targets, {
    logger: logs.logger,
    clock,
    onResult: (target, result) => results.push([target, result]),
  });
  return { notifier, results, logs };
}

async function live(object: Unstructured): Promise<Unstructured> {
  const found = await kube.get(refOf(object));
  if (!found) throw new Error(`${object.kind} ${object.metadata.name} is gone`);
  return found;
}

/** An object without its annotations and what the server changes at every write. */
function withoutAnnotations(object: Unstructured): unknown {
  const copy = structuredClone(object);
  delete copy.metadata.annotations;
  delete copy.metadata.resourceVersion;
  delete copy.metadata.managedFields;
  return copy;
}

describe('GitOpsNotifier, on the real Flux and Argo CD CRDs', () => {
  it('sets a fresh reconcile.fluxcd.io/requestedAt on the GitRepository and nothing else, as field manager gitcanary', async () => {
    const { ns, objects } = await toolNamespace('flux');
    const [gitRepository, kustomization] = objects as [Unstructured, Unstructured];
    const [repoBefore, kustomizationBefore] = [await live(gitRepository), await live(kustomization)];
    const { notifier, results } = notifierFor([{ tool: 'flux', namespace: ns, name: 'apps' }]);

    await notifier.notify();
    const first = await live(gitRepository);
    await notifier.notify();
    const second = await live(gitRepository);

    expect(first.metadata.annotations).toEqual({ 'reconcile.fluxcd.io/requestedAt': now.toISOString() });
    expect(withoutAnnotations(first)).toEqual(withoutAnnotations(repoBefore));
    expect(first.metadata.managedFields?.find((f) => f.manager === 'gitcanary')).toMatchObject({
      operation: 'Update',
      fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:reconcile.fluxcd.io/requestedAt': {} } } },
    });
    // The clock did not move, the request is new all the same: Flux acts on a changed value only.
    const secondValue = second.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'] ?? '';
    expect(Date.parse(secondValue)).toBeGreaterThan(now.getTime());
    // The Kustomization follows its source's new revision; annotated, it could apply the previous one.
    expect(await live(kustomization)).toEqual(kustomizationBefore);
    expect(results).toEqual([
      [`flux:${ns}/apps`, 'success'],
      [`flux:${ns}/apps`, 'success'],
    ]);
  });

  it('sets argocd.argoproj.io/refresh: normal on the Application and nothing else', async () => {
    const { ns, objects } = await toolNamespace('argocd');
    const [application] = objects as [Unstructured];
    const before = await live(application);
    const { notifier, results } = notifierFor([{ tool: 'argocd', namespace: ns, name: 'apps' }]);

    await notifier.notify();
    const after = await live(application);

    expect(after.metadata.annotations).toEqual({ 'argocd.argoproj.io/refresh': 'normal' });
    expect(withoutAnnotations(after)).toEqual(withoutAnnotations(before));
    expect(results).toEqual([[`argocd:${ns}/apps`, 'success']]);
  });

  it('asks each target once for every Canary that stepped in the same pass', async () => {
    const { ns, objects } = await toolNamespace('flux');
    const before = Number((await live(objects[0] as Unstructured)).metadata.resourceVersion);
    const { notifier, results } = notifierFor([{ tool: 'flux', namespace: ns, name: 'apps' }]);

    await Promise.all([notifier.notify(), notifier.notify(), notifier.notify()]);

    expect(results).toHaveLength(1);
    const after = Number((await live(objects[0] as Unstructured)).metadata.resourceVersion);
    expect(after).toBeGreaterThan(before);
  });

  it('logs and counts a target that is missing, without the token, and still asks the others', async () => {
    const { ns } = await toolNamespace('argocd');
    const { notifier, results, logs } = notifierFor([
      { tool: 'flux', namespace: ns, name: 'missing' },
      { tool: 'argocd', namespace: ns, name: 'apps' },
    ]);

    await notifier.notify();

    expect(results.sort()).toEqual([
      [`argocd:${ns}/apps`, 'success'],
      [`flux:${ns}/missing`, 'failed'],
    ]);
    expect(logs.entries().find((e) => e.level === 40)).toMatchObject({
      target: `flux:${ns}/missing`,
      kind: 'GitRepository',
      status: 404,
      msg: 'could not ask the GitOps tool to sync; it will apply the commit at its next interval',
    });
    expect(logs.text()).not.toContain(inject('controlPlane').token);
  });
});

describe('--notify in a commit-only release', () => {
  const files = (ns: string) => ({
    'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
    'apps/podinfo/canary.yaml': canary(ns),
  });

  it('annotates the GitRepository after the push', async () => {
    const { ns, objects } = await toolNamespace('flux');
    const clock: { now?: () => Date } = {};
    const { notifier, results } = notifierFor([{ tool: 'flux', namespace: ns, name: 'apps' }], () =>
      clock.now ? clock.now() : new Date(0),
    );
    const s = await setup(files, { applies: false, notify: notifier.notify });
    clock.now = () => s.clock.now;

    const summary = await s.reconcile(0);

    expect(summary.commits).toHaveLength(1);
    const annotated = await live(objects[0] as Unstructured);
    expect(annotated.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBe(
      s.clock.now.toISOString(),
    );
    expect(results).toEqual([[`flux:${ns}/apps`, 'success']]);
  });

  it('goes on when the GitRepository is missing: the step is committed, the failure logged and counted', async () => {
    const { notifier, results, logs } = notifierFor([
      { tool: 'flux', namespace: 'flux-system', name: 'nowhere' },
    ]);
    const s = await setup(files, { applies: false, notify: notifier.notify });

    const first = await s.reconcile(0);
    const quiet = await s.reconcile(0.5);

    expect(first.commits).toHaveLength(1);
    expect(first.canaries).toMatchObject([{ phase: 'Initialized' }]);
    expect(results).toEqual([['flux:flux-system/nowhere', 'failed']]);
    expect(logs.text()).toContain('could not ask the GitOps tool to sync');
    // No push, no request.
    expect(quiet.commits).toEqual([]);
    expect(results).toHaveLength(1);
  });
});
