import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ensureControlPlaneBinaries, stagingModules } from '../../../harness/control-plane-binaries.js';
import { stagingVersion } from '../../../harness/component-versions.js';

describe('stagingModules', () => {
  it('lists the modules replaced by ./staging paths, in both replace forms, and nothing else', () => {
    const goMod = [
      'module k8s.io/kubernetes',
      'replace k8s.io/api => ./staging/src/k8s.io/api',
      'replace (',
      '\tk8s.io/client-go => ./staging/src/k8s.io/client-go',
      '\tk8s.io/apimachinery => ./staging/src/k8s.io/apimachinery',
      '\tgithub.com/example/fork => github.com/example/fork v1.2.3',
      ')',
    ].join('\n');

    expect(stagingModules(goMod)).toEqual(['k8s.io/api', 'k8s.io/apimachinery', 'k8s.io/client-go']);
  });
});

describe('stagingVersion', () => {
  it.each([
    ['v1.34.4', 'v0.34.4'],
    ['v1.30.0', 'v0.30.0'],
  ])('maps Kubernetes %s to staging %s', (kubernetes, staging) => {
    expect(stagingVersion(kubernetes)).toBe(staging);
  });

  it('refuses a pre-release or malformed version', () => {
    expect(() => stagingVersion('v1.35.0-rc.1')).toThrow(/not a released Kubernetes version/);
  });
});

describe('ensureControlPlaneBinaries with KUBEBUILDER_ASSETS', () => {
  let assets = '';
  beforeEach(async () => {
    assets = await mkdtemp(join(tmpdir(), 'kubebuilder-assets-'));
    vi.stubEnv('KUBEBUILDER_ASSETS', assets);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(assets, { recursive: true, force: true });
  });

  it('uses the binaries in that directory and builds nothing', async () => {
    for (const name of ['etcd', 'kube-apiserver'])
      await writeFile(join(assets, name), '#!/bin/sh\n', { mode: 0o755 });
    const progress = vi.fn();

    const binaries = await ensureControlPlaneBinaries(progress);

    expect(binaries).toEqual({
      etcd: join(assets, 'etcd'),
      kubeApiserver: join(assets, 'kube-apiserver'),
      source: 'KUBEBUILDER_ASSETS',
    });
    expect(progress).not.toHaveBeenCalled();
  });

  it('fails with the missing path named when a binary is absent', async () => {
    await writeFile(join(assets, 'etcd'), '#!/bin/sh\n', { mode: 0o755 });

    await expect(ensureControlPlaneBinaries(() => undefined)).rejects.toThrow(
      `KUBEBUILDER_ASSETS=${assets} is set but ${join(assets, 'kube-apiserver')} is missing or not executable`,
    );
  });
});
