import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { installCrds } from '../../../harness/control-plane.js';
import { canary, kc, objects } from '../../support/release-fixture.js';
import { createTestNamespace } from '../../support/test-namespace.js';

describe('the alert CRDs', () => {
  it('let a GitOps tool apply AlertProviders and Canaries with alerts as git has them', async () => {
    const crds = await Promise.all(
      ['alertproviders.gitcanary.dev.yaml', 'canaries.gitcanary.dev.yaml'].map(
        async (file) => load(await readFile(`deploy/crds/${file}`, 'utf8')) as V1CustomResourceDefinition,
      ),
    );
    await installCrds(inject('controlPlane'), crds);
    const ns = await createTestNamespace(kc, 'alert-crds');
    const provider = (type: string) => ({
      apiVersion: 'gitcanary.dev/v1alpha1',
      kind: 'AlertProvider',
      metadata: { name: `chat-${type}`, namespace: ns },
      spec: { type, channel: 'releases', secretRef: { name: 'chat-url' } },
    });
    const withAlerts = load(
      `${canary(ns)}    alerts:\n      - { name: team, severity: warn, providerRef: { name: chat-slack } }\n`,
    ) as KubernetesObject;

    await objects.create(provider('slack'));
    await objects.create(withAlerts);
    const refused = await objects.create(provider('pager')).then(
      () => 'accepted',
      (err: { code?: number }) => err.code,
    );

    const live = await objects.read<KubernetesObject & { spec: { analysis: { alerts: unknown[] } } }>({
      apiVersion: 'gitcanary.dev/v1alpha1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: ns },
    });
    expect(live.spec.analysis.alerts).toEqual([
      { name: 'team', severity: 'warn', providerRef: { name: 'chat-slack' } },
    ]);
    expect(refused).toBe(422);
  });
});
