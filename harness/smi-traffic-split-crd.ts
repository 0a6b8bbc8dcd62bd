// The SMI TrafficSplit CRD for the test API server, from smi-sdk-go's `crds/split.yaml`. That file is
// apiextensions v1beta1, serves only v1alpha4 and has one schema, while Flagger's SMI routers write
// v1alpha1, v1alpha2 and v1alpha3. This converts it to v1 and serves every version with a schema of its
// own, derived from the file's by the differences between smi-sdk-go's Go types of each version.
import {
  crdV1beta1ToV1,
  structural,
  type CrdV1,
  type CrdV1beta1,
  type JsonSchema,
} from './crd-conversion.js';

/** How controller-gen writes a resource.Quantity (an integer, or a string such as "500m"). */
const quantity: JsonSchema = {
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  pattern:
    '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
  'x-kubernetes-int-or-string': true,
};

export function trafficSplitCrd(file: CrdV1beta1): CrdV1 {
  return crdV1beta1ToV1(file, {
    served: () => true,
    schema: (version, declared) => trafficSplitSchema(version, declared),
  });
}

export function trafficSplitSchema(version: string, declared: JsonSchema | undefined): JsonSchema {
  const schema = structural(structuredClone(declared ?? {}));
  const spec = schema.properties?.spec;
  const backend = spec?.properties?.backends?.items;
  const match = spec?.properties?.matches?.items;
  if (!spec?.properties || !backend?.properties?.weight || !match?.properties)
    throw new Error(
      'split.yaml: the TrafficSplit schema no longer has spec.backends[].weight and spec.matches[]',
    );
  switch (version) {
    case 'v1alpha4':
    case 'v1alpha3':
      // Both are `service`, `backends[{service, weight int}]`, `matches []TypedLocalObjectReference`;
      // the file leaves out the reference's `apiGroup`, which would be pruned without a word.
      backend.properties.weight = { ...backend.properties.weight, type: 'integer' };
      match.properties.apiGroup = { type: 'string' };
      return schema;
    case 'v1alpha2':
      // No `matches`; `service` and `backends` may be omitted, each backend needs both fields.
      delete spec.properties.matches;
      delete spec.required;
      backend.properties.weight = { ...backend.properties.weight, type: 'integer' };
      return schema;
    case 'v1alpha1':
      // No `matches`, nothing required, and the weight is a resource.Quantity.
      delete spec.properties.matches;
      delete spec.required;
      delete backend.required;
      backend.properties.weight = { description: backend.properties.weight.description, ...quantity };
      return schema;
    default:
      throw new Error(`split.yaml: no schema known for TrafficSplit ${version}`);
  }
}
