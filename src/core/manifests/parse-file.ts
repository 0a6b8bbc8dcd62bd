// Reads one file of the repository (path and text in, data out; no I/O) into the Services, Canaries,
// MetricTemplates and Ingresses (which a Canary's ingressRef may name) it defines. Everything else a GitOps repository holds (Deployments, ConfigMaps,
// kustomization.yaml, READMEs) is passed over silently, and gitcanary's own generated files are never read
// back as input.
import { canaryKey } from './canary-key.js';
import { compactList } from './shared-empty.js';
import { z } from 'zod';
import type { CanarySpec, KubeObject, ServiceManifest, SourceRef } from '../model.js';
import { isCanaryApiVersion, ObjectMeta } from './canary-schema.js';
import { formatFieldPath } from './manifest-error.js';
import type { ManifestError } from './manifest-error.js';
import { canaryKeyOf, normalizeCanary } from './normalize-canary.js';
import { isRecord } from './is-record.js';
import type { FieldIssue } from './field-issue.js';
import { annotationIssues, dns1035LabelProblem, dns1123LabelProblem, labelIssues } from './kube-names.js';
import { serviceSpecIssues } from './service-spec-issues.js';
import { withFieldLines } from './field-line.js';
import { isGeneratedPath } from '../generated-file.js';
import { ownDocument } from '../own-strings.js';
import { loadYaml } from '../load-yaml.js';
import { INGRESS_API_VERSION } from '../routers/ingress-copy.js';
import {
  isMetricTemplateApiVersion,
  parseMetricTemplate,
  type MetricTemplateManifest,
} from '../analysis/metric-template.js';
import { analysisFieldOf, parseCanaryChecks, type CanaryChecks } from '../analysis/parse-checks.js';
import {
  isAlertProviderApiVersion,
  parseAlertProvider,
  type AlertProviderManifest,
} from '../alerts/alert-provider.js';

/** An Ingress as written, with where it came from (the same shape as a Service's). */
export type IngressManifest = ServiceManifest;

export interface ParsedFile {
  services: ServiceManifest[];
  /** Read only as the source of a Canary's `ingressRef`; gitcanary never writes them. */
  ingresses: IngressManifest[];
  canaries: CanarySpec[];
  /** The parsed `analysis.metrics` / `webhooks` of each Canary above, found by its source. */
  canaryChecks: { source: SourceRef; checks: CanaryChecks }[];
  metricTemplates: MetricTemplateManifest[];
  /** Where alerts go (src/core/alerts/alert-provider.ts); absent when the file has none. */
  alertProviders?: AlertProviderManifest[];
  errors: ManifestError[];
  /** Fields that do nothing here (FieldIgnored), with their line. */
  warnings: ManifestError[];
  /** The YAML nodes of the file, counted before it was parsed; absent when it was not parsed. */
  nodes?: number;
}

export interface ParseManifestOptions {
  /** The namespace of objects without `metadata.namespace` (as `kubectl apply -n` would give them). */
  defaultNamespace: string;
  /** The provider of Canaries that name none (--default-provider). */
  defaultProvider?: string;
  /** The target's labels and annotations never copied (--not-copied). */
  notCopied?: readonly string[];
}

// A Canary of one of these groups in an apiVersion we do not read is almost certainly meant as one, so it is
// reported rather than passed over like an unrelated kind.
const CANARY_GROUPS = ['gitcanary.dev/', 'flagger.app/'];

const ServiceDocument = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: z.looseObject(ObjectMeta.shape),
});
type ServiceDocument = z.infer<typeof ServiceDocument>;

export function isManifestPath(path: string): boolean {
  const lower = path.toLowerCase();
  return (lower.endsWith('.yaml') || lower.endsWith('.yml')) && !isGeneratedPath(path);
}

export function parseManifestFile(path: string, content: string, options: ParseManifestOptions): ParsedFile {
  const parsed: ParsedFile = {
    services: [],
    ingresses: [],
    canaries: [],
    canaryChecks: [],
    metricTemplates: [],
    errors: [],
    warnings: [],
  };
  if (!isManifestPath(path)) return parsed;

  const loaded = loadYaml(content);
  if (!loaded.ok) {
    parsed.errors.push({ code: 'ManifestInvalid', file: path, ...loaded.problem });
    return parsed;
  }
  parsed.nodes = loaded.nodes;

  loaded.documents.forEach((document, index) => {
    if (!isRecord(document)) return;
    const source: SourceRef = { file: path, document: index };
    const { apiVersion, kind } = document;
    // Only the documents gitcanary reads are copied, so only they are bounded and checked.
    const read = (): Record<string, unknown> | undefined => {
      const own = ownDocument(document);
      if (own.ok) return own.value;
      const canary = kind === 'Canary' ? canaryKeyOf(document, options.defaultNamespace) : {};
      parsed.errors.push({
        code: 'ManifestInvalid',
        ...source,
        field: own.field,
        message: own.message,
        ...canary,
      });
      return undefined;
    };

    if (apiVersion === 'v1' && kind === 'Service') {
      const own = read();
      if (!own) return;
      const result = parseService(own, source, options.defaultNamespace);
      if ('errors' in result) parsed.errors.push(...result.errors);
      else parsed.services.push(result);
    } else if (apiVersion === INGRESS_API_VERSION && kind === 'Ingress') {
      // Kept as written and checked only if a Canary names it (ingress-ref.ts): an Ingress no Canary uses is
      // none of gitcanary's business, like a Deployment.
      const own = read();
      if (!own) return;
      const ingress = ingressOf(own, source, options.defaultNamespace);
      if (ingress) parsed.ingresses.push(ingress);
    } else if (kind === 'Canary' && isCanaryApiVersion(apiVersion)) {
      const own = read();
      if (!own) return;
      const result = normalizeCanary(own, {
        source,
        defaultNamespace: options.defaultNamespace,
        ...(options.defaultProvider ? { defaultProvider: options.defaultProvider } : {}),
        ...(options.notCopied ? { notCopied: options.notCopied } : {}),
      });
      parsed.warnings.push(...result.warnings);
      if (!result.ok) {
        parsed.errors.push(...result.errors);
        return;
      }
      const { canary } = result;
      const checks = parseCanaryChecks(canary, analysisFieldOf(own));
      parsed.warnings.push(
        ...checks.warnings.map((issue) => ({
          code: 'FieldIgnored' as const,
          ...source,
          ...issue,
          canary: canaryKey(canary),
        })),
      );
      if (checks.ok) {
        parsed.canaries.push(canary);
        parsed.canaryChecks.push({ source, checks: checks.checks });
      } else {
        const key = canaryKey(canary);
        parsed.errors.push(
          ...checks.issues.map((issue) => ({
            code: 'ManifestInvalid' as const,
            ...source,
            ...issue,
            canary: key,
          })),
        );
      }
    } else if (kind === 'MetricTemplate' && isMetricTemplateApiVersion(apiVersion)) {
      const own = read();
      if (!own) return;
      const result = parseMetricTemplate(own, source, options.defaultNamespace);
      if ('errors' in result) parsed.errors.push(...result.errors);
      else parsed.metricTemplates.push(result);
    } else if (kind === 'AlertProvider' && isAlertProviderApiVersion(apiVersion)) {
      const own = read();
      if (!own) return;
      const result = parseAlertProvider(own, source, options.defaultNamespace);
      if ('errors' in result) parsed.errors.push(...result.errors);
      else (parsed.alertProviders ??= []).push(result);
    } else if (kind === 'MetricTemplate' && typeof apiVersion === 'string' && isCanaryGroup(apiVersion)) {
      parsed.errors.push({
        code: 'ManifestInvalid',
        file: path,
        document: index,
        field: 'apiVersion',
        message: `MetricTemplate ${apiVersion} is not supported; use flagger.app/v1beta1 or gitcanary.dev/v1alpha1`,
      });
    } else if (kind === 'Canary' && typeof apiVersion === 'string' && isCanaryGroup(apiVersion)) {
      parsed.errors.push({
        code: 'ManifestInvalid',
        file: path,
        document: index,
        field: 'apiVersion',
        message: `Canary ${apiVersion} is not supported; use gitcanary.dev/v1alpha1, flagger.app/v1beta1 or flagger.app/v1alpha3`,
      });
    }
  });
  parsed.errors = withFieldLines(parsed.errors, loaded.text);
  parsed.warnings = withFieldLines(parsed.warnings, loaded.text);
  return compacted(parsed);
}

/** The file's empty lists shared: it is held while it is in the repository, and most of its lists are empty. */
function compacted(parsed: ParsedFile): ParsedFile {
  return {
    ...parsed,
    services: compactList(parsed.services),
    ingresses: compactList(parsed.ingresses),
    canaries: compactList(parsed.canaries),
    canaryChecks: compactList(parsed.canaryChecks),
    metricTemplates: compactList(parsed.metricTemplates),
    errors: compactList(parsed.errors),
    warnings: compactList(parsed.warnings),
  };
}

function ingressOf(
  document: Record<string, unknown>,
  source: SourceRef,
  defaultNamespace: string,
): IngressManifest | undefined {
  const metadata = isRecord(document.metadata) ? document.metadata : {};
  const { name, namespace } = metadata;
  if (typeof name !== 'string' || name === '') return undefined;
  return {
    source,
    namespace: typeof namespace === 'string' && namespace !== '' ? namespace : defaultNamespace,
    name,
    object: document as KubeObject,
  };
}

function parseService(
  document: Record<string, unknown>,
  source: SourceRef,
  defaultNamespace: string,
): ServiceManifest | { errors: ManifestError[] } {
  const result = ServiceDocument.safeParse(document, {
    error: (issue) => (issue.input === undefined ? 'required' : undefined),
  });
  if (!result.success) {
    return {
      errors: result.error.issues.map((issue) => ({
        code: 'ManifestInvalid',
        file: source.file,
        document: source.document,
        field: formatFieldPath(issue.path),
        message: issue.message,
      })),
    };
  }
  const issues = serviceIssues(document);
  if (issues.length > 0) {
    return {
      errors: issues.map((issue) => ({
        code: 'ManifestInvalid',
        file: source.file,
        document: source.document,
        ...issue,
      })),
    };
  }
  const { metadata } = result.data;
  return {
    source,
    namespace: metadata.namespace ?? defaultNamespace,
    name: metadata.name,
    // The object as written (not zod's copy), so nothing is dropped or reordered on the way to the planner.
    object: document as KubeObject,
  };
}

/**
 * What gitcanary copies of a Service onto the Services it generates, by Kubernetes' rules: its name and
 * namespace, labels, annotations, and the spec's type, ports, selector and ExternalName host. The API server
 * would refuse any of them in a generated file; here it is an error at its field before anything is planned.
 */
function serviceIssues(document: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const add = (field: string, problem: string | undefined) => {
    if (problem) issues.push({ field, message: problem });
  };
  const metadata = isRecord(document.metadata) ? document.metadata : {};
  if (typeof metadata.name === 'string') add('metadata.name', dns1035LabelProblem(metadata.name));
  if (typeof metadata.namespace === 'string')
    add('metadata.namespace', dns1123LabelProblem(metadata.namespace));
  if (isRecord(metadata.labels)) issues.push(...labelIssues(metadata.labels, 'metadata.labels'));
  if (isRecord(metadata.annotations))
    issues.push(...annotationIssues(metadata.annotations, 'metadata.annotations'));
  issues.push(...serviceSpecIssues(isRecord(document.spec) ? document.spec : {}));
  return issues;
}

function isCanaryGroup(apiVersion: string): boolean {
  return CANARY_GROUPS.some((group) => apiVersion.startsWith(group));
}
