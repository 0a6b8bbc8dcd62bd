// Joins a Canary's metrics with what they need from the rest of the repository: each `templateRef` with its
// MetricTemplate (the namespace defaults to the Canary's), and each built-in with a target whose selector
// finds the canary's pods. Whatever is missing is an error for that Canary, found before any step runs, and
// so is a value that cannot be placed in its query (see renderQuery).
import type { CanarySpec, ServiceManifest } from '../model.js';
import { canarySelector } from './builtin-queries.js';
import type { MetricTemplate, MetricTemplateManifest } from './metric-template.js';
import type { CanaryChecks, FieldIssue } from './parse-checks.js';
import { missingVariable, queryModel, renderQuery, templateVariableKeys } from './query-template.js';

type ResolveTemplatesResult =
  { ok: true; templates: Record<string, MetricTemplate> } | { ok: false; issues: FieldIssue[] };

/** `templatesByKey` maps `namespace/name` to every MetricTemplate of that name in the repository. */
export function resolveTemplates(
  canary: CanarySpec,
  checks: CanaryChecks,
  target: ServiceManifest,
  templatesByKey: ReadonlyMap<string, readonly MetricTemplateManifest[]>,
): ResolveTemplatesResult {
  const issues: FieldIssue[] = [];
  const templates: Record<string, MetricTemplate> = {};
  for (const metric of checks.metrics) {
    const { source } = metric;
    if (source.kind === 'builtin' && !canarySelector(target)) {
      issues.push({
        field: `${metric.field}.name`,
        message: `the built-in ${source.builtin} finds the canary's pods by the target's selector, and Service ${canary.namespace}/${canary.targetName} has none; use a MetricTemplate`,
      });
    }
    if (source.kind === 'query') {
      const rendered = renderQuery(source.query, queryModel(canary, metric));
      if (!rendered.ok) issues.push({ field: `${metric.field}.query`, message: rendered.message });
    }
    if (source.kind !== 'template') continue;
    const key = `${source.templateRef.namespace}/${source.templateRef.name}`;
    const found = templatesByKey.get(key) ?? [];
    const [manifest] = found;
    if (!manifest) {
      issues.push({
        field: `${metric.field}.templateRef.name`,
        message: `MetricTemplate ${key} is not defined in the repository`,
      });
    } else if (found.length > 1) {
      const where = found.map((m) => `${m.source.file}#${m.source.document + 1}`).sort();
      issues.push({
        field: `${metric.field}.templateRef.name`,
        message: `MetricTemplate ${key} is defined more than once: ${where.join(', ')}`,
      });
    } else {
      const missing = templateVariableKeys(manifest.template.query).filter(
        (k) => !Object.hasOwn(metric.variables, k),
      );
      for (const k of missing) {
        issues.push({
          field: `${metric.field}.templateVariables`,
          message: `MetricTemplate ${key}: ${missingVariable(k)}`,
        });
      }
      const rendered = renderQuery(manifest.template.query, queryModel(canary, metric));
      if (missing.length === 0 && !rendered.ok) {
        issues.push({
          field: `${metric.field}.templateVariables`,
          message: `MetricTemplate ${key}: ${rendered.message}`,
        });
      }
      templates[metric.name] = manifest.template;
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, templates };
}
