// The CustomResourceDefinition of our own Canary, made from the same field tree as the parser's warnings
// (canary-fields.ts): every field `validate` accepts, the CRD accepts, so a GitOps tool applying the folder
// never refuses a Canary that gitcanary reads (`npm run generate` writes deploy/crds/, a test compares).
import { canaryFieldTrees, type FieldNode } from './canary-fields.js';

type Schema = Record<string, unknown>;

/** The OpenAPI schema of one field: its type, its children, and nothing it cannot know. */
function openApiSchema(node: FieldNode): Schema {
  const description = node.note ? { description: node.note } : {};
  const extra = node.crd ?? {};
  switch (node.type) {
    case 'object':
      return node.fields && node.support === 'supported'
        ? {
            ...description,
            type: 'object',
            properties: Object.fromEntries(
              Object.entries(node.fields).map(([k, v]) => [k, openApiSchema(v)]),
            ),
            ...extra,
          }
        : { ...description, type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...extra };
    case 'array':
      return {
        ...description,
        type: 'array',
        items: node.items ? openApiSchema(node.items) : { 'x-kubernetes-preserve-unknown-fields': true },
        ...extra,
      };
    case 'map':
      return {
        ...description,
        type: 'object',
        additionalProperties: node.values ? openApiSchema(node.values) : { type: 'string' },
        ...extra,
      };
    case 'int-or-string':
      return { ...description, 'x-kubernetes-int-or-string': true, ...extra };
    case 'any':
      return { ...description, 'x-kubernetes-preserve-unknown-fields': true, ...extra };
    default:
      return { ...description, type: node.type, ...extra };
  }
}

const printerColumns = [
  { name: 'Target', type: 'string', jsonPath: '.spec.targetRef.name' },
  { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
  { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

/** The whole CRD of `gitcanary.dev/v1alpha1` Canary. */
export function canaryCrd(): Schema {
  const spec = canaryFieldTrees['gitcanary.dev/v1alpha1'].fields?.spec;
  if (!spec) throw new Error('unreachable: the tree has a spec');
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'canaries.gitcanary.dev', labels: { 'app.kubernetes.io/name': 'gitcanary' } },
    spec: {
      group: 'gitcanary.dev',
      names: {
        kind: 'Canary',
        listKind: 'CanaryList',
        plural: 'canaries',
        singular: 'canary',
        categories: ['gitcanary'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          additionalPrinterColumns: printerColumns,
          schema: {
            openAPIV3Schema: {
              description:
                'A progressive release of a Service, analysed step by step; its state lives in git.',
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: { ...openApiSchema(spec), required: ['targetRef', 'analysis'] },
                // A Canary read back from a cluster may carry one; gitcanary keeps its state in git.
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}
