// MetricTemplate documents in Flagger's shape (flagger.app/v1beta1, and the same under gitcanary.dev/v1alpha1):
// a Prometheus address, optional credentials, and a query template. Only the `prometheus` provider is read;
// the query's template syntax is checked here, so a bad template is a manifest error and not a failed step.
import { z } from 'zod';
import type { SourceRef } from '../model.js';
import { FLAGGER_V1BETA1, GITCANARY_V1ALPHA1, ObjectMeta } from '../manifests/canary-schema.js';
import { formatFieldPath } from '../manifests/manifest-error.js';
import type { ManifestError } from '../manifests/manifest-error.js';
import { isHttpUrl, mustBe, requiredWhenMissing } from './parse-checks.js';
import { parseQueryTemplate, type QueryTemplate } from './query-template.js';

const METRIC_TEMPLATE_API_VERSIONS = [FLAGGER_V1BETA1, GITCANARY_V1ALPHA1] as const;

// HTTP's token (RFC 9110) for a header name, and a value without the characters that would end the header.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/u;
const HEADER_VALUE = /^[^\r\n\0]*$/u;

/** A DNS subdomain name, as Kubernetes requires of a Secret's; it also keeps `../` out of credential paths. */
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/u;

const MetricTemplateDocument = z.object({
  apiVersion: z.enum(METRIC_TEMPLATE_API_VERSIONS),
  kind: z.literal('MetricTemplate'),
  metadata: ObjectMeta,
  spec: z.object({
    provider: z.object({
      type: z.literal('prometheus', mustBe('must be prometheus: gitcanary queries Prometheus only')),
      address: z
        .string(mustBe('must be a URL'))
        .refine(isHttpUrl, 'must be an absolute http:// or https:// URL'),
      secretRef: z
        .object({
          name: z
            .string(mustBe('must be a Secret name'))
            .regex(DNS_SUBDOMAIN, 'must be a Secret name (lower-case letters, digits, "-" and ".")'),
        })
        .nullish(),
      insecureSkipVerify: z.boolean().nullish(),
      headers: z
        .record(z.string(), z.array(z.string('must be a string'), 'must be a list of strings'))
        .nullish(),
    }),
    query: z.string(mustBe('must be a string')).min(1, 'must not be empty'),
  }),
});

export interface MetricTemplate {
  namespace: string;
  name: string;
  provider: {
    type: 'prometheus';
    address: string;
    /** Read from the credentials directory, not from the cluster (see docs/analysis.md). */
    secretRef?: { name: string };
    insecureSkipVerify: boolean;
    /** Extra request headers, as Flagger's `http.Header` (a list of values per name). */
    headers: Record<string, string[]>;
  };
  query: QueryTemplate;
}

export interface MetricTemplateManifest {
  source: SourceRef;
  template: MetricTemplate;
}

export function isMetricTemplateApiVersion(apiVersion: unknown): boolean {
  return (METRIC_TEMPLATE_API_VERSIONS as readonly unknown[]).includes(apiVersion);
}

export function parseMetricTemplate(
  document: unknown,
  source: SourceRef,
  defaultNamespace: string,
): MetricTemplateManifest | { errors: ManifestError[] } {
  const error = (field: string, message: string): ManifestError => ({
    code: 'ManifestInvalid',
    file: source.file,
    document: source.document,
    field,
    message,
  });
  const parsed = MetricTemplateDocument.safeParse(document, { error: requiredWhenMissing });
  if (!parsed.success) {
    return { errors: parsed.error.issues.map((i) => error(formatFieldPath(i.path), i.message)) };
  }
  const { metadata, spec } = parsed.data;
  const query = parseQueryTemplate(spec.query);
  if (!query.ok) return { errors: [error('spec.query', query.message)] };
  const { provider } = spec;
  const headerErrors = Object.entries(provider.headers ?? {}).flatMap(([name, values]) => {
    const at = formatFieldPath(['spec', 'provider', 'headers', name]);
    if (!HEADER_NAME.test(name)) return [error(at, 'must be an HTTP header name')];
    return values.some((v) => !HEADER_VALUE.test(v))
      ? [error(at, 'must not contain a line break or a NUL character')]
      : [];
  });
  if (headerErrors.length > 0) return { errors: headerErrors };
  return {
    source,
    template: {
      namespace: metadata.namespace ?? defaultNamespace,
      name: metadata.name,
      provider: {
        type: provider.type,
        address: provider.address,
        ...(provider.secretRef ? { secretRef: { name: provider.secretRef.name } } : {}),
        insecureSkipVerify: provider.insecureSkipVerify ?? false,
        headers: provider.headers ?? {},
      },
      query: query.template,
    },
  };
}

export function isSecretName(name: string): boolean {
  return DNS_SUBDOMAIN.test(name);
}
