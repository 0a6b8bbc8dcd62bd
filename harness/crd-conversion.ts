// Turns a CustomResourceDefinition written as apiextensions.k8s.io/v1beta1 (no longer served since
// Kubernetes 1.22) into apiextensions.k8s.io/v1, so a project that still ships v1beta1 files can be
// installed on the test API server. Pure: plain data in, plain data out.

/** A node of an OpenAPI v3 schema as it is written on the wire (`x-kubernetes-*` keys included). */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  [key: string]: unknown;
}

interface PrinterColumnV1beta1 {
  name: string;
  type: string;
  JSONPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

interface VersionV1beta1 {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
  subresources?: unknown;
  additionalPrinterColumns?: PrinterColumnV1beta1[];
}

export interface CrdV1beta1 {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: unknown };
  spec: {
    group: string;
    names: Record<string, unknown>;
    scope: string;
    version?: string;
    versions?: VersionV1beta1[];
    validation?: { openAPIV3Schema?: JsonSchema };
    subresources?: unknown;
    additionalPrinterColumns?: PrinterColumnV1beta1[];
    conversion?: { strategy?: string };
    preserveUnknownFields?: boolean;
  };
}

export interface CrdVersionV1 {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JsonSchema };
  subresources?: unknown;
  additionalPrinterColumns?: {
    name: string;
    type: string;
    jsonPath: string;
    format?: string;
    description?: string;
    priority?: number;
  }[];
}

export interface CrdV1 {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; [key: string]: unknown };
  spec: {
    group: string;
    names: Record<string, unknown>;
    scope: string;
    versions: CrdVersionV1[];
  };
}

export interface ConversionOptions {
  /** The schema of one version, given the one v1beta1 declared for it (per version or shared). */
  schema?: (version: string, declared: JsonSchema | undefined) => JsonSchema;
  /** Whether a version is served; v1beta1's own flag when absent. */
  served?: (version: string, declared: boolean) => boolean;
}

/**
 * v1 moves validation, subresources and printer columns into each version, spells `JSONPath` as
 * `jsonPath`, and requires a structural schema with pruning on (v1beta1 kept unknown fields by default).
 * A version without any schema keeps v1beta1's meaning: any object, unknown fields kept.
 */
export function crdV1beta1ToV1(crd: CrdV1beta1, options: ConversionOptions = {}): CrdV1 {
  const { spec } = crd;
  if (crd.kind !== 'CustomResourceDefinition' || crd.apiVersion !== 'apiextensions.k8s.io/v1beta1')
    throw new Error(`${crd.metadata.name}: not an apiextensions.k8s.io/v1beta1 CustomResourceDefinition`);
  if (spec.conversion?.strategy && spec.conversion.strategy !== 'None')
    throw new Error(`${crd.metadata.name}: conversion strategy ${spec.conversion.strategy} is not supported`);
  const declaredVersions = spec.versions ?? [
    { name: spec.version ?? '', served: true, storage: true } satisfies VersionV1beta1,
  ];
  const versions = declaredVersions.map((version): CrdVersionV1 => {
    const declared = version.schema?.openAPIV3Schema ?? spec.validation?.openAPIV3Schema;
    const schema = options.schema
      ? options.schema(version.name, declared)
      : declared
        ? structural(declared)
        : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    const subresources = version.subresources ?? spec.subresources;
    const columns = version.additionalPrinterColumns ?? spec.additionalPrinterColumns;
    return {
      name: version.name,
      served: options.served ? options.served(version.name, version.served) : version.served,
      storage: version.storage,
      schema: { openAPIV3Schema: schema },
      ...(subresources ? { subresources } : {}),
      ...(columns
        ? {
            additionalPrinterColumns: columns.map(({ JSONPath, ...rest }) => ({
              ...rest,
              jsonPath: JSONPath,
            })),
          }
        : {}),
    };
  });
  if (versions.filter((v) => v.storage).length !== 1)
    throw new Error(`${crd.metadata.name}: exactly one version must be the storage version`);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: crd.metadata,
    spec: { group: spec.group, names: spec.names, scope: spec.scope, versions },
  };
}

/**
 * A copy of `schema` in which every node says its type where its shape already implies it (`properties`
 * → object, `items` → array), and the root is an object: what v1beta1 let authors leave out and v1's
 * structural rule requires. Nodes whose type cannot be inferred are left for the API server to refuse.
 */
export function structural(schema: JsonSchema, root = true): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (!out.type && !out['x-kubernetes-int-or-string'] && !out['x-kubernetes-preserve-unknown-fields']) {
    if (root || out.properties || (out.additionalProperties && out.additionalProperties !== true))
      out.type = 'object';
    else if (out.items) out.type = 'array';
  }
  if (out.properties)
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([key, value]) => [key, structural(value, false)]),
    );
  if (out.items) out.items = structural(out.items, false);
  if (out.additionalProperties && typeof out.additionalProperties === 'object')
    out.additionalProperties = structural(out.additionalProperties, false);
  return out;
}
