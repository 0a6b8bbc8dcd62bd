import { describe, expect, it } from 'vitest';
import type { CrdV1beta1, JsonSchema } from '../../../harness/crd-conversion.js';
import { trafficSplitCrd } from '../../../harness/smi-traffic-split-crd.js';

// The shape of smi-sdk-go's crds/split.yaml (v1beta1, one shared schema of the v1alpha4 shape, only
// v1alpha4 served), written out small.
const splitFile: CrdV1beta1 = {
  apiVersion: 'apiextensions.k8s.io/v1beta1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'trafficsplits.split.smi-spec.io' },
  spec: {
    group: 'split.smi-spec.io',
    scope: 'Namespaced',
    names: { kind: 'TrafficSplit', plural: 'trafficsplits' },
    version: 'v1alpha4',
    versions: ['v1alpha4', 'v1alpha3', 'v1alpha2', 'v1alpha1'].map((name) => ({
      name,
      served: name === 'v1alpha4',
      storage: name === 'v1alpha4',
    })),
    additionalPrinterColumns: [{ name: 'Service', type: 'string', JSONPath: '.spec.service' }],
    validation: {
      openAPIV3Schema: {
        properties: {
          spec: {
            type: 'object',
            required: ['service', 'backends'],
            properties: {
              service: { type: 'string' },
              matches: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['kind', 'name'],
                  properties: {
                    kind: { type: 'string', enum: ['HTTPRouteGroup'] },
                    name: { type: 'string' },
                  },
                },
              },
              backends: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['service', 'weight'],
                  properties: {
                    service: { type: 'string' },
                    weight: { type: 'number', description: 'weight' },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

function specOf(version: string): JsonSchema {
  const found = trafficSplitCrd(splitFile).spec.versions.find((v) => v.name === version);
  const spec = found?.schema.openAPIV3Schema.properties?.spec;
  if (!spec) throw new Error(`no spec schema for ${version}`);
  return spec;
}

describe('trafficSplitCrd', () => {
  it('serves every version, stores v1alpha4 only, and keeps the printer column', () => {
    const crd = trafficSplitCrd(splitFile);

    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ['v1alpha4', true, true],
      ['v1alpha3', true, false],
      ['v1alpha2', true, false],
      ['v1alpha1', true, false],
    ]);
    expect(crd.spec.versions[0]?.additionalPrinterColumns).toEqual([
      { name: 'Service', type: 'string', jsonPath: '.spec.service' },
    ]);
    expect(crd.spec.versions.every((v) => v.schema.openAPIV3Schema.type === 'object')).toBe(true);
  });

  it.each(['v1alpha3', 'v1alpha4'])(
    'gives %s integer weights and matches that may name an apiGroup',
    (version) => {
      const spec = specOf(version);

      expect(spec.required).toEqual(['service', 'backends']);
      expect(spec.properties?.backends?.items?.properties?.weight?.type).toBe('integer');
      expect(spec.properties?.matches?.items?.properties?.apiGroup).toEqual({ type: 'string' });
    },
  );

  it('gives v1alpha2 no matches, optional service and backends, and backends that need both fields', () => {
    const spec = specOf('v1alpha2');

    expect(spec.properties).not.toHaveProperty('matches');
    expect(spec).not.toHaveProperty('required');
    expect(spec.properties?.backends?.items?.required).toEqual(['service', 'weight']);
    expect(spec.properties?.backends?.items?.properties?.weight?.type).toBe('integer');
  });

  it('gives v1alpha1 no matches, nothing required, and a weight that is a quantity', () => {
    const spec = specOf('v1alpha1');
    const backend = spec.properties?.backends?.items;

    expect(spec.properties).not.toHaveProperty('matches');
    expect(spec).not.toHaveProperty('required');
    expect(backend).not.toHaveProperty('required');
    expect(backend?.properties?.weight).toMatchObject({
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
    });
    expect(new RegExp(backend?.properties?.weight?.pattern as string).test('500m')).toBe(true);
  });

  it('does not change the file it was given', () => {
    const before = structuredClone(splitFile);

    trafficSplitCrd(splitFile);

    expect(splitFile).toEqual(before);
  });

  it('refuses a file whose schema no longer has the fields it adapts', () => {
    const changed = structuredClone(splitFile);
    changed.spec.validation = { openAPIV3Schema: { properties: { spec: { type: 'object' } } } };

    expect(() => trafficSplitCrd(changed)).toThrow(/no longer has spec.backends/);
  });
});
