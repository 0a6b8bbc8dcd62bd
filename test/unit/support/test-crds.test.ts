import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { crdSets, loadCrdSet, type CrdSet } from '../../../harness/test-crds.js';

function set(name: string): CrdSet {
  const found = crdSets.find((s) => s.name === name);
  if (!found) throw new Error(`no set ${name}`);
  return found;
}

function crdYaml(group: string, plural: string, apiVersion = 'apiextensions.k8s.io/v1'): string {
  return [
    `apiVersion: ${apiVersion}`,
    'kind: CustomResourceDefinition',
    `metadata: {name: ${plural}.${group}}`,
    `spec: {group: ${group}, scope: Namespaced, names: {kind: Thing, plural: ${plural}}, versions: []}`,
    '',
  ].join('\n');
}

describe('loadCrdSet with an override directory (a machine without Go)', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitcanary-crds-'));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads GITCANARY_CRDS_DIR/<set>/ and keeps only the kinds the set keeps', async () => {
    await mkdir(join(dir, 'istio'));
    await writeFile(
      join(dir, 'istio', 'customresourcedefinitions.gen.yaml'),
      ['virtualservices', 'destinationrules', 'sidecars']
        .map((plural) => crdYaml('networking.istio.io', plural))
        .join('---\n'),
    );
    vi.stubEnv('GITCANARY_CRDS_DIR', dir);

    const crds = await loadCrdSet(set('istio'));

    expect(crds.map((crd) => crd.metadata?.name)).toEqual([
      'virtualservices.networking.istio.io',
      'destinationrules.networking.istio.io',
    ]);
  });

  it('converts what the set converts (SMI v1beta1 → v1)', async () => {
    await mkdir(join(dir, 'smi'));
    await writeFile(
      join(dir, 'smi', 'split.yaml'),
      [
        'apiVersion: apiextensions.k8s.io/v1beta1',
        'kind: CustomResourceDefinition',
        'metadata: {name: trafficsplits.split.smi-spec.io}',
        'spec:',
        '  group: split.smi-spec.io',
        '  scope: Namespaced',
        '  names: {kind: TrafficSplit, plural: trafficsplits}',
        '  versions: [{name: v1alpha4, served: true, storage: true}]',
        '  validation:',
        '    openAPIV3Schema:',
        '      properties:',
        '        spec:',
        '          type: object',
        '          properties:',
        '            matches: {type: array, items: {type: object, properties: {name: {type: string}}}}',
        '            backends:',
        '              type: array',
        '              items: {type: object, properties: {weight: {type: number}}}',
        '',
      ].join('\n'),
    );
    vi.stubEnv('GITCANARY_CRDS_DIR', dir);

    const [crd] = await loadCrdSet(set('smi'));

    expect(crd?.apiVersion).toBe('apiextensions.k8s.io/v1');
  });

  it('still takes the Gateway API CRDs from GITCANARY_GATEWAY_API_CRDS, every YAML file in it', async () => {
    await writeFile(join(dir, 'a.yaml'), crdYaml('gateway.networking.k8s.io', 'httproutes'));
    await writeFile(join(dir, 'b.yml'), crdYaml('gateway.networking.k8s.io', 'gateways'));
    await writeFile(join(dir, 'README.md'), 'not a CRD');
    vi.stubEnv('GITCANARY_GATEWAY_API_CRDS', dir);

    const crds = await loadCrdSet(set('gateway-api'));

    expect(crds.map((crd) => crd.metadata?.name)).toEqual([
      'httproutes.gateway.networking.k8s.io',
      'gateways.gateway.networking.k8s.io',
    ]);
  });

  it('fails naming the directory when a set has no files there', async () => {
    await mkdir(join(dir, 'argocd'));
    vi.stubEnv('GITCANARY_CRDS_DIR', dir);

    await expect(loadCrdSet(set('argocd'))).rejects.toThrow(
      `no CRD files for argocd in ${join(dir, 'argocd')}`,
    );
  });
});
