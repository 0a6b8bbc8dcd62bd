import { describe, expect, it } from 'vitest';
import { parseManifestFile } from '../../../src/core/manifests/parse-file.js';
import { DEFAULT_NOT_COPIED, isNotCopied } from '../../../src/core/not-copied-metadata.js';
import type { ServiceManifest } from '../../../src/core/model.js';
import { aCanary, aService, aTarget, minutes, Rollout } from './builders.js';

function markedTarget(): ServiceManifest {
  const target = aTarget('blue');
  target.object.metadata.labels = {
    team: 'web',
    'app.kubernetes.io/instance': 'podinfo',
    'kustomize.toolkit.fluxcd.io/name': 'apps',
  };
  target.object.metadata.annotations = {
    note: 'kept',
    'argocd.argoproj.io/tracking-id': 'podinfo:/Service:test/podinfo',
    'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    'kubectl.kubernetes.io/last-applied-configuration': '{}',
  };
  return target;
}

describe('isNotCopied', () => {
  it.each([
    ['app.kubernetes.io/instance', true],
    ['argocd.argoproj.io/tracking-id', true],
    ['argocd.argoproj.io/sync-options', true],
    ['kustomize.toolkit.fluxcd.io/name', true],
    ['app.kubernetes.io/name', false],
    ['argocd.argoproj.io.example/x', false],
  ])('%s → %s with the default list', (key, expected) => {
    expect(isNotCopied(key, DEFAULT_NOT_COPIED)).toBe(expected);
  });
});

describe('the generated Services', () => {
  it("never carry the GitOps tools' labels and annotations of the target, and keep the others", () => {
    const plan = new Rollout(aCanary(), markedTarget()).reconcile(minutes(0));

    for (const name of ['podinfo-primary', 'podinfo-canary']) {
      const metadata = plan.desired.find((o) => o.metadata.name === name)?.metadata;
      expect(metadata?.labels).toEqual({
        team: 'web',
        'app.kubernetes.io/managed-by': 'gitcanary',
        'gitcanary.dev/canary': 'podinfo',
      });
      expect(metadata?.annotations).toEqual({ note: 'kept' });
    }
  });

  it('leave out what a configured list names instead', () => {
    const canary = aCanary({
      service: aService({ gatewayRefs: [{ name: 'gw' }], notCopied: ['team', 'note'] }),
    });

    const plan = new Rollout(canary, markedTarget()).reconcile(minutes(0));

    const primary = plan.desired.find((o) => o.metadata.name === 'podinfo-primary')?.metadata;
    expect(primary?.labels).toMatchObject({ 'app.kubernetes.io/instance': 'podinfo' });
    expect(primary?.labels).not.toHaveProperty('team');
    expect(primary?.annotations).not.toHaveProperty('note');
    expect(primary?.annotations).not.toHaveProperty('kubectl.kubernetes.io/last-applied-configuration');
  });
});

describe('parseManifestFile', () => {
  const canary = `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata: {name: podinfo, namespace: test}
spec:
  targetRef: {apiVersion: v1, kind: Service, name: podinfo}
  service: {port: 9898}
  analysis: {interval: 1m, threshold: 2, iterations: 3}
`;
  const notCopiedOf = (options: { notCopied?: string[] }) =>
    parseManifestFile('canary.yaml', canary, { defaultNamespace: 'test', ...options }).canaries[0]?.service
      .notCopied;

  it('gives every Canary the default list, or the one configured (--not-copied)', () => {
    expect(notCopiedOf({})).toEqual(DEFAULT_NOT_COPIED);
    expect(notCopiedOf({ notCopied: ['team'] })).toEqual(['team']);
  });
});
