// Joins the parsed files of a repository: each Canary with its target Service, the MetricTemplates its
// metrics refer to and the Ingress its ingressRef names. A Canary whose target is missing, ambiguous or
// claimed by another Canary, or whose template or Ingress is missing, is reported and left out, so one bad manifest stalls only the canaries it concerns
// while the others keep going.
import type { CanarySpec, ServiceManifest, SourceRef } from '../model.js';
import type { MetricTemplate } from '../analysis/metric-template.js';
import { noChecks, type CanaryChecks } from '../analysis/parse-checks.js';
import { resolveTemplates } from '../analysis/resolve-templates.js';
import { compareManifestErrors, compareText } from './manifest-error.js';
import type { ManifestError } from './manifest-error.js';
import type { ParsedFile } from './parse-file.js';
import { resolveIngressRef } from './ingress-ref.js';
import { routerOf } from '../routers/router-registry.js';
import type { RouteReferences } from '../routers/router.js';
import { servicePort } from '../routers/service-port.js';
import { resolveAlerts, type ResolvedAlert } from '../alerts/resolve-alerts.js';

export interface ResolvedCanary {
  canary: CanarySpec;
  target: ServiceManifest;
  /** `analysis.metrics` and `analysis.webhooks`, parsed. */
  checks: CanaryChecks;
  /** The MetricTemplate of each metric with a `templateRef`, by metric name. */
  templates: Record<string, MetricTemplate>;
  /** `analysis.alerts` joined with their AlertProviders; absent when the Canary has none that resolve. */
  alerts?: ResolvedAlert[];
  /** The other repository objects its router reads (the `ingressRef` Ingress); absent: none. */
  references?: RouteReferences;
}

export interface AssembledRepository {
  /** Sorted by namespace, then name. */
  canaries: ResolvedCanary[];
  /** The files' own errors and the cross-file ones, sorted by file and document. */
  errors: ManifestError[];
  /** Fields that do nothing here, sorted likewise. */
  warnings: ManifestError[];
}

export function assembleRepository(files: readonly ParsedFile[]): AssembledRepository {
  const services = groupBy(
    files.flatMap((file) => file.services),
    (service) => objectKey(service.namespace, service.name),
  );
  const canaries = files.flatMap((file) => file.canaries);
  const canariesByName = groupBy(canaries, (canary) => objectKey(canary.namespace, canary.name));
  const canariesByTarget = groupBy(canaries, (canary) => objectKey(canary.namespace, canary.targetName));
  const templates = groupBy(
    files.flatMap((file) => file.metricTemplates),
    ({ template }) => objectKey(template.namespace, template.name),
  );
  const providers = groupBy(
    files.flatMap((file) => file.alertProviders ?? []),
    ({ provider }) => objectKey(provider.namespace, provider.name),
  );
  const ingresses = groupBy(
    files.flatMap((file) => file.ingresses),
    (ingress) => objectKey(ingress.namespace, ingress.name),
  );
  const checksBySource = new Map(
    files.flatMap((file) => file.canaryChecks).map(({ source, checks }) => [location(source), checks]),
  );

  const errors: ManifestError[] = files.flatMap((file) => file.errors);
  const resolved: ResolvedCanary[] = [];
  for (const canary of canaries) {
    const key = objectKey(canary.namespace, canary.name);
    const targetKey = objectKey(canary.namespace, canary.targetName);
    const problem = (field: string, message: string): void => {
      errors.push({ code: 'ManifestInvalid', ...canary.source, field, message, canary: key });
    };

    const sameName = canariesByName.get(key) ?? [];
    const sameTarget = canariesByTarget.get(targetKey) ?? [];
    const targets = services.get(targetKey) ?? [];
    const [target] = targets;
    if (sameName.length > 1) {
      problem('metadata.name', `Canary ${key} is defined more than once: ${locations(sameName)}`);
    } else if (sameTarget.length > 1) {
      const claimants = sameTarget
        .map((other) => `${objectKey(other.namespace, other.name)} (${location(other.source)})`)
        .sort(compareText);
      problem(
        'spec.targetRef.name',
        `Service ${targetKey} is the target of several Canaries: ${claimants.join(', ')}`,
      );
    } else if (target === undefined) {
      problem('spec.targetRef.name', `target Service ${targetKey} is not defined in the repository`);
    } else if (targets.length > 1) {
      problem(
        'spec.targetRef.name',
        `target Service ${targetKey} is defined more than once: ${locations(targets)}`,
      );
    } else if (routerOf(canary.provider).shiftsTraffic && servicePort(canary, target.object) === 0) {
      problem('spec.service.port', `required: the target Service ${targetKey} has no ports to route to`);
    } else {
      const checks = checksBySource.get(location(canary.source)) ?? noChecks;
      const analysis = resolveTemplates(canary, checks, target, templates);
      const ingress = canary.ingressRef
        ? resolveIngressRef(canary, ingresses.get(objectKey(canary.namespace, canary.ingressRef.name)) ?? [])
        : undefined;
      if (!analysis.ok) for (const issue of analysis.issues) problem(issue.field, issue.message);
      if (ingress && !ingress.ok) errors.push(...ingress.errors);
      if (analysis.ok && (!ingress || ingress.ok)) {
        // A bad alert is reported but never stalls the release: alerts only tell of it.
        const alerts = resolveAlerts(canary, providers, errors);
        resolved.push({
          canary,
          target,
          checks,
          templates: analysis.templates,
          ...(alerts.length > 0 ? { alerts } : {}),
          ...(ingress ? { references: { ingress: ingress.ingress.object } } : {}),
        });
      }
    }
  }

  resolved.sort(
    (a, b) =>
      compareText(a.canary.namespace, b.canary.namespace) ||
      compareText(a.canary.name, b.canary.name) ||
      compareText(a.canary.source.file, b.canary.source.file),
  );
  errors.sort(compareManifestErrors);
  const warnings = files.flatMap((file) => file.warnings).sort(compareManifestErrors);
  return { canaries: resolved, errors, warnings };
}

function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function location(source: SourceRef): string {
  return `${source.file}#${source.document + 1}`;
}

function locations(items: readonly { source: SourceRef }[]): string {
  return items
    .map((item) => location(item.source))
    .sort(compareText)
    .join(', ');
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
