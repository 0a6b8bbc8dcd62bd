// Joins the parsed files of a repository: each Canary with its target Service, the MetricTemplates its
// metrics refer to and the Ingress its ingressRef names. A Canary whose target is missing, ambiguous or
// claimed by another Canary, or whose template or Ingress is missing, is reported and left out, so one bad manifest stalls only the canaries it concerns
// while the others keep going.
import type { CanarySpec, ServiceManifest, SourceRef } from '../model.js';
import type { MetricTemplate, MetricTemplateManifest } from '../analysis/metric-template.js';
import type { AlertProviderManifest } from '../alerts/alert-provider.js';
import { noChecks, type CanaryChecks } from '../analysis/parse-checks.js';
import { resolveTemplates } from '../analysis/resolve-templates.js';
import { compareManifestErrors, compareText } from './manifest-error.js';
import type { ManifestError } from './manifest-error.js';
import type { IngressManifest, ParsedFile } from './parse-file.js';
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

/**
 * What resolving one Canary read from the rest of the repository, and what it gave. Resolving is a pure
 * function of the Canary and of what it looked up, so while every lookup finds the same objects again the
 * result is the same: a poll after a one-file commit joins again only the Canaries that file concerns.
 */
interface CanaryResolution {
  /** Each lookup in the order it was made: the index, the key and the group found. */
  lookups: Lookup[];
  resolved?: ResolvedCanary;
  errors: ManifestError[];
}

interface Lookup {
  table: Table;
  key: string;
  found: readonly unknown[] | undefined;
}

/** The resolutions of the last assemble, by Canary object; opaque to callers, who only hand it back. */
export type AssemblyMemo = ReadonlyMap<CanarySpec, CanaryResolution>;

export function assembleRepository(files: readonly ParsedFile[]): AssembledRepository {
  return assembleRepositoryReusing(files, new Map()).assembled;
}

/**
 * `assembleRepository`, reusing from `memo` (what the last call returned) each Canary whose every lookup
 * finds the same objects: its file and the files it refers to were not changed. The result is the one
 * `assembleRepository` gives, object for object.
 */
export function assembleRepositoryReusing(
  files: readonly ParsedFile[],
  memo: AssemblyMemo,
): { assembled: AssembledRepository; memo: AssemblyMemo } {
  const indexes = indexesOf(files);
  const errors: ManifestError[] = files.flatMap((file) => file.errors);
  const resolved: ResolvedCanary[] = [];
  const resolutions = new Map<CanarySpec, CanaryResolution>();
  for (const canary of indexes.canaries) {
    const known = memo.get(canary);
    const resolution =
      known && known.lookups.every(({ table, key, found }) => sameItems(table(indexes).get(key), found))
        ? known
        : resolveCanary(canary, indexes);
    resolutions.set(canary, resolution);
    errors.push(...resolution.errors);
    if (resolution.resolved) resolved.push(resolution.resolved);
  }

  resolved.sort(
    (a, b) =>
      compareText(a.canary.namespace, b.canary.namespace) ||
      compareText(a.canary.name, b.canary.name) ||
      compareText(a.canary.source.file, b.canary.source.file),
  );
  errors.sort(compareManifestErrors);
  const warnings = files.flatMap((file) => file.warnings).sort(compareManifestErrors);
  return { assembled: { canaries: resolved, errors, warnings }, memo: resolutions };
}

/**
 * One of the lookup tables, taken from an assemble's indexes: a memo's lookup is made again in the new
 * indexes through it.
 */
type Table = (indexes: Indexes) => ReadonlyMap<string, readonly unknown[]>;

const byName: Table = (i) => i.canariesByName;
const byTarget: Table = (i) => i.canariesByTarget;
const servicesTable: Table = (i) => i.services;
const checksTable: Table = (i) => i.checks;
const templatesTable: Table = (i) => i.templates;
const providersTable: Table = (i) => i.providers;
const ingressesTable: Table = (i) => i.ingresses;

interface Indexes {
  canaries: CanarySpec[];
  services: Map<string, ServiceManifest[]>;
  canariesByName: Map<string, CanarySpec[]>;
  canariesByTarget: Map<string, CanarySpec[]>;
  templates: Map<string, MetricTemplateManifest[]>;
  providers: Map<string, AlertProviderManifest[]>;
  ingresses: Map<string, IngressManifest[]>;
  /** A Canary's parsed checks by its location: a group of one. */
  checks: Map<string, CanaryChecks[]>;
}

function indexesOf(files: readonly ParsedFile[]): Indexes {
  const canaries = files.flatMap((file) => file.canaries);
  return {
    canaries,
    services: groupBy(
      files.flatMap((file) => file.services),
      (service) => objectKey(service.namespace, service.name),
    ),
    canariesByName: groupBy(canaries, (canary) => objectKey(canary.namespace, canary.name)),
    canariesByTarget: groupBy(canaries, (canary) => objectKey(canary.namespace, canary.targetName)),
    templates: groupBy(
      files.flatMap((file) => file.metricTemplates),
      ({ template }) => objectKey(template.namespace, template.name),
    ),
    providers: groupBy(
      files.flatMap((file) => file.alertProviders ?? []),
      ({ provider }) => objectKey(provider.namespace, provider.name),
    ),
    ingresses: groupBy(
      files.flatMap((file) => file.ingresses),
      (ingress) => objectKey(ingress.namespace, ingress.name),
    ),
    // The last of a location wins, as a Map built from the list would keep it.
    checks: new Map(
      files
        .flatMap((file) => file.canaryChecks)
        .map(({ source, checks }) => [location(source), [checks]] as const),
    ),
  };
}

/** Joins one Canary, recording every lookup it makes. */
function resolveCanary(canary: CanarySpec, indexes: Indexes): CanaryResolution {
  const lookups: Lookup[] = [];
  const recorded = <T>(table: Table, groups: ReadonlyMap<string, readonly T[]>) => {
    const get = (key: string): readonly T[] | undefined => {
      const found = groups.get(key);
      lookups.push({ table, key, found });
      return found;
    };
    // Only `get` is called by the resolvers (resolveTemplates, resolveAlerts).
    return { get } as unknown as ReadonlyMap<string, readonly T[]>;
  };
  const errors: ManifestError[] = [];
  const key = objectKey(canary.namespace, canary.name);
  const targetKey = objectKey(canary.namespace, canary.targetName);
  const problem = (field: string, message: string): void => {
    errors.push({ code: 'ManifestInvalid', ...canary.source, field, message, canary: key });
  };
  const done = (resolved?: ResolvedCanary): CanaryResolution => ({
    lookups,
    errors,
    ...(resolved ? { resolved } : {}),
  });

  const sameName = recorded(byName, indexes.canariesByName).get(key) ?? [];
  const sameTarget = recorded(byTarget, indexes.canariesByTarget).get(targetKey) ?? [];
  const targets = recorded(servicesTable, indexes.services).get(targetKey) ?? [];
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
    const [checks = noChecks] = recorded(checksTable, indexes.checks).get(location(canary.source)) ?? [];
    const analysis = resolveTemplates(canary, checks, target, recorded(templatesTable, indexes.templates));
    const ingress = canary.ingressRef
      ? resolveIngressRef(
          canary,
          recorded(ingressesTable, indexes.ingresses).get(
            objectKey(canary.namespace, canary.ingressRef.name),
          ) ?? [],
        )
      : undefined;
    if (!analysis.ok) for (const issue of analysis.issues) problem(issue.field, issue.message);
    if (ingress && !ingress.ok) errors.push(...ingress.errors);
    if (analysis.ok && (!ingress || ingress.ok)) {
      // A bad alert is reported but never stalls the release: alerts only tell of it.
      const alerts = resolveAlerts(canary, recorded(providersTable, indexes.providers), errors);
      return done({
        canary,
        target,
        checks,
        templates: analysis.templates,
        ...(alerts.length > 0 ? { alerts } : {}),
        ...(ingress ? { references: { ingress: ingress.ingress.object } } : {}),
      });
    }
  }
  return done();
}

function sameItems(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((item, i) => item === b[i]);
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
