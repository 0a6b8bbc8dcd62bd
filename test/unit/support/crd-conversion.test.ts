import { describe, expect, it } from 'vitest';
import { crdV1beta1ToV1, structural, type CrdV1beta1 } from '../../../harness/crd-conversion.js';

function v1beta1(spec: Partial<CrdV1beta1['spec']>): CrdV1beta1 {
  return {
    apiVersion: 'apiextensions.k8s.io/v1beta1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.test' },
    spec: {
      group: 'example.test',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Namespaced',
      ...spec,
    },
  };
}

describe('crdV1beta1ToV1', () => {
  it('gives every version the shared schema, subresources and printer columns, spelled as v1 spells them', () => {
    const crd = v1beta1({
      versions: [
        { name: 'v2', served: true, storage: true },
        { name: 'v1', served: false, storage: false },
      ],
      validation: {
        openAPIV3Schema: { properties: { spec: { properties: { size: { type: 'integer' } } } } },
      },
      subresources: { status: {} },
      additionalPrinterColumns: [{ name: 'Size', type: 'integer', JSONPath: '.spec.size' }],
    });

    const converted = crdV1beta1ToV1(crd);

    expect(converted.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(converted.spec).not.toHaveProperty('validation');
    expect(converted.spec.versions).toEqual(
      ['v2', 'v1'].map((name) => ({
        name,
        served: name === 'v2',
        storage: name === 'v2',
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
          },
        },
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
      })),
    );
  });

  it('prefers a schema declared on the version over the shared one', () => {
    const crd = v1beta1({
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
      validation: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'string' } } } },
    });

    expect(crdV1beta1ToV1(crd).spec.versions[0]?.schema).toEqual({ openAPIV3Schema: { type: 'object' } });
  });

  it('reads the single `version` form, and keeps unknown fields of a version that had no schema', () => {
    const converted = crdV1beta1ToV1(v1beta1({ version: 'v1' }));

    expect(converted.spec.versions).toEqual([
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ]);
  });

  it('hands each version and its declared schema to a schema function, and lets it choose what is served', () => {
    const crd = v1beta1({
      versions: [
        { name: 'v2', served: true, storage: true },
        { name: 'v1', served: false, storage: false },
      ],
      validation: { openAPIV3Schema: { type: 'object' } },
    });

    const converted = crdV1beta1ToV1(crd, {
      schema: (version, declared) => ({ ...declared, description: version }),
      served: () => true,
    });

    expect(converted.spec.versions.map((v) => [v.name, v.served, v.schema.openAPIV3Schema])).toEqual([
      ['v2', true, { type: 'object', description: 'v2' }],
      ['v1', true, { type: 'object', description: 'v1' }],
    ]);
  });

  it.each([
    [
      'a webhook conversion',
      v1beta1({ version: 'v1', conversion: { strategy: 'Webhook' } }),
      /conversion strategy Webhook/,
    ],
    [
      'two storage versions',
      v1beta1({
        versions: [
          { name: 'v2', served: true, storage: true },
          { name: 'v1', served: true, storage: true },
        ],
      }),
      /exactly one version must be the storage version/,
    ],
    [
      'a v1 CRD',
      { ...v1beta1({ version: 'v1' }), apiVersion: 'apiextensions.k8s.io/v1' },
      /not an apiextensions/,
    ],
  ])('refuses %s', (_, crd, message) => {
    expect(() => crdV1beta1ToV1(crd)).toThrow(message);
  });
});

describe('structural', () => {
  it('types nodes whose shape implies an object or an array, and leaves the rest as written', () => {
    const schema = structural({
      properties: {
        spec: {
          properties: {
            tags: { items: { type: 'string' } },
            labels: { additionalProperties: { type: 'string' } },
          },
        },
        size: { 'x-kubernetes-int-or-string': true },
        free: {},
      },
    });

    expect(schema).toEqual({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            tags: { type: 'array', items: { type: 'string' } },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        size: { 'x-kubernetes-int-or-string': true },
        free: {},
      },
    });
  });
});
