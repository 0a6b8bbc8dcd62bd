// Joins the parsed files of a repository: each Canary with its target Service, the MetricTemplates its
// metrics refer to and the Ingress its ingressRef names. A Canary whose target is missing, ambiguous or
// claimed by another Canary, or whose template or Ingress is missing, is reported and left out, so one bad manifest stalls only the canaries it concerns
// while the others keep going.
import { canaryKey } from './canary-key.js';
import { flat } from '../flat-string.js';
import { compactList } from './shared-empty.js';
import type { CanarySpec, ServiceManifest, SourceRef } from '../model.js';
import type { MetricTemplate, MetricTemplateManifest } from '../analysis/metric-template.js';
import type { AlertProviderManifest } from '../alerts/alert-provider.js';
import { noChecks, type CanaryChecks } from '../analysis/parse-checks.js';
import { resolveTemplates } from '../analysis/resolve-templates.js';
import { compareManifestErrors, compareText } from './manifest-error.js';
import type { ManifestError } from './manifest-error.js';
import type { IngressManifest, ParsedFile } from './parse-file.js';
import { LayeredMap } from '../layered-map.js';
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

/**
 * What the last assemble gave and built: opaque to callers, who only hand it back. `noAssembly` before the
 * first.
 */
export interface AssemblyMemo {
  readonly resolutions: ReadonlyMap<CanarySpec, CanaryResolution>;
  /** The files it joined, and its lookup tables: the next one updates them where files differ. */
  readonly files?: readonly ParsedFile[];
  readonly indexes?: Indexes;
}

export const noAssembly: AssemblyMemo = { resolutions: new Map() };

/**
 * Past this many files added or removed since the last assemble, its lookup tables are built again from
 * every file rather than updated.
 */
const maxFilesUpdated = 64;

export function assembleRepository(files: readonly ParsedFile[]): AssembledRepository {
  return assembleRepositoryReusing(files, noAssembly).assembled;
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
  const updated = updatedIndexes(memo, files);
  const indexes = updated?.indexes ?? indexesOf(files);
  // Updated tables: a lookup finds what it found before unless its key is among those the changed files
  // hold. Built afresh: unless it finds the same objects again.
  const holds = updated
    ? ({ table, key }: Lookup) => !updated.touched.get(table)?.has(key)
    : ({ table, key, found }: Lookup) => sameItems(indexes[table].get(key), found);
  const errors: ManifestError[] = files.flatMap((file) => file.errors);
  const resolved: ResolvedCanary[] = [];
  const resolutions = new Map<CanarySpec, CanaryResolution>();
  for (const canary of indexes.canaries) {
    const known = memo.resolutions.get(canary);
    const resolution = known?.lookups.every(holds) ? known : resolveCanary(canary, indexes);
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
  // The tables are updated next time only where a group's order can be found again: by path.
  const updatable = updated !== undefined || pathOrder(files) !== undefined;
  return {
    assembled: { canaries: resolved, errors, warnings },
    memo: updatable ? { resolutions, files, indexes } : { resolutions },
  };
}

/** A lookup table of the join: the objects of each key, in the order of their files. */
type Groups<T> = LayeredMap<string, T[]>;

interface Tables {
  services: Groups<ServiceManifest>;
  canariesByName: Groups<CanarySpec>;
  canariesByTarget: Groups<CanarySpec>;
  templates: Groups<MetricTemplateManifest>;
  providers: Groups<AlertProviderManifest>;
  ingresses: Groups<IngressManifest>;
  /** A Canary's parsed checks by its location: a group of one. */
  checks: Groups<CanaryChecks>;
}

interface Indexes extends Tables {
  canaries: CanarySpec[];
}

/** One of the lookup tables: a memo's lookup is made again in the new indexes through it. */
type Table = keyof Tables;

/** The objects of a file each lookup table groups, with the key it groups them by. */
interface Grouped<T extends { source: SourceRef }> {
  table: Exclude<Table, 'checks'>;
  items: (file: ParsedFile) => readonly T[];
  key: (item: T) => string;
}

const grouped = <T extends { source: SourceRef }>(g: Grouped<T>) =>
  g as unknown as Grouped<{ source: SourceRef }>;

/** Every table but `checks` (a location is one file's: its last wins). */
const groupedTables = [
  grouped<ServiceManifest>({
    table: 'services',
    items: (file) => file.services,
    key: (service) => objectKey(service.namespace, service.name),
  }),
  grouped<CanarySpec>({
    table: 'canariesByName',
    items: (file) => file.canaries,
    key: (canary) => objectKey(canary.namespace, canary.name),
  }),
  grouped<CanarySpec>({
    table: 'canariesByTarget',
    items: (file) => file.canaries,
    key: (canary) => objectKey(canary.namespace, canary.targetName),
  }),
  grouped<MetricTemplateManifest>({
    table: 'templates',
    items: (file) => file.metricTemplates,
    key: ({ template }) => objectKey(template.namespace, template.name),
  }),
  grouped<AlertProviderManifest>({
    table: 'providers',
    items: (file) => file.alertProviders ?? [],
    key: ({ provider }) => objectKey(provider.namespace, provider.name),
  }),
  grouped<IngressManifest>({
    table: 'ingresses',
    items: (file) => file.ingresses,
    key: (ingress) => objectKey(ingress.namespace, ingress.name),
  }),
];

/** `indexes` with `table` replaced (the tables' types are one per name, which TypeScript cannot follow). */
function withTable(indexes: Indexes, table: Table, groups: Groups<unknown>): Indexes {
  return { ...indexes, [table]: groups };
}

function indexesOf(files: readonly ParsedFile[]): Indexes {
  const maps = new Map<Table, Map<string, unknown[]>>();
  for (const { table, items, key } of groupedTables) {
    const groups = new Map<string, unknown[]>();
    for (const file of files) {
      for (const item of items(file)) {
        const group = groups.get(key(item));
        if (group) group.push(item);
        else groups.set(key(item), [item]);
      }
    }
    maps.set(table, groups);
  }
  // The last of a location wins, as a Map built from the list would keep it.
  const checks = new Map<string, CanaryChecks[]>();
  for (const file of files)
    for (const { source, checks: c } of file.canaryChecks) checks.set(location(source), [c]);
  const table = <T>(name: Table): Groups<T> => LayeredMap.of(maps.get(name) as Map<string, T[]>);
  return {
    canaries: files.flatMap((file) => file.canaries),
    services: table('services'),
    canariesByName: table('canariesByName'),
    canariesByTarget: table('canariesByTarget'),
    templates: table('templates'),
    providers: table('providers'),
    ingresses: table('ingresses'),
    checks: LayeredMap.of(checks),
  };
}

/**
 * The last assemble's lookup tables, updated to `files` where they differ from its files: the groups of
 * the keys the removed and added files hold are rebuilt, every other group is the same array as before.
 * With the keys touched, by table: a lookup of any other key finds what it found before. Undefined (build
 * the tables afresh) before the first assemble, past `maxFilesUpdated` files, or when a file's objects name
 * several paths. A memo is only kept for files that each name a path of their own (`pathOrder`), as the
 * manifest loader's do (one per path of a commit); the order of a group's objects is that of their files,
 * found by path.
 */
function updatedIndexes(
  memo: AssemblyMemo,
  files: readonly ParsedFile[],
): { indexes: Indexes; touched: Map<Table, Set<string>> } | undefined {
  if (!memo.files || !memo.indexes) return undefined;
  const diff = filesBetween(memo.files, files);
  if (!diff) return undefined;
  const { removed, added } = diff;
  if (added.some((file) => pathOf(file) === undefined)) return undefined;
  const previous = memo.indexes;
  let indexes: Indexes = {
    ...previous,
    canaries:
      added.length === 0 && removed.length === 0 ? previous.canaries : files.flatMap((file) => file.canaries),
  };
  const touched = new Map<Table, Set<string>>();
  // Wanted only for a group of several objects (a name defined twice): then each file's place is looked up.
  let order: Map<string, number> | undefined;
  for (const { table, items, key } of groupedTables) {
    const gone = new Set(removed.flatMap(items));
    const fresh = added.flatMap(items);
    const keys = new Set([...gone, ...fresh].map(key));
    if (keys.size === 0) continue;
    touched.set(table, keys);
    const groups = previous[table] as Groups<{ source: SourceRef }>;
    const changes = new Map<string, { source: SourceRef }[] | undefined>();
    for (const k of keys) {
      const group = [
        ...(groups.get(k) ?? []).filter((item) => !gone.has(item)),
        ...fresh.filter((item) => key(item) === k),
      ];
      if (group.length > 1) {
        order ??= pathOrder(files);
        if (!order) return undefined;
        const at = order;
        // Stable: the objects of one file keep their order in it.
        group.sort((a, b) => (at.get(a.source.file) ?? 0) - (at.get(b.source.file) ?? 0));
      }
      changes.set(k, group.length > 0 ? group : undefined);
    }
    indexes = withTable(indexes, table, groups.with(changes));
  }
  const checks = new Map<string, CanaryChecks[] | undefined>();
  for (const file of removed) {
    for (const { source, checks: c } of file.canaryChecks) {
      const at = location(source);
      if (previous.checks.get(at)?.[0] === c) checks.set(at, undefined);
    }
  }
  for (const file of added) {
    for (const { source, checks: c } of file.canaryChecks) checks.set(location(source), [c]);
  }
  if (checks.size > 0) {
    touched.set('checks', new Set(checks.keys()));
    indexes = { ...indexes, checks: previous.checks.with(checks) };
  }
  return { indexes, touched };
}

/**
 * The files removed from `before` and added in `after`, walking both in step: the loader replaces a file in
 * its place, drops it, or lists the commit again (where a file may also come in between). Undefined past
 * `maxFilesUpdated` of either.
 */
function filesBetween(
  before: readonly ParsedFile[],
  after: readonly ParsedFile[],
): { removed: ParsedFile[]; added: ParsedFile[] } | undefined {
  const removed: ParsedFile[] = [];
  const added: ParsedFile[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const [old, next] = [before[i], after[j]];
    if (old !== undefined && old === next) {
      i += 1;
      j += 1;
    } else if (old !== undefined && before[i + 1] === next && next !== undefined) {
      removed.push(old);
      i += 1;
    } else if (next !== undefined && after[j + 1] === old && old !== undefined) {
      added.push(next);
      j += 1;
    } else {
      if (old !== undefined) removed.push(old);
      if (next !== undefined) added.push(next);
      i += 1;
      j += 1;
    }
    if (removed.length > maxFilesUpdated || added.length > maxFilesUpdated) return undefined;
  }
  return { removed, added };
}

/** The path a file's objects name, if they name one (every file the loader parses does); '' for none. */
function pathOf(file: ParsedFile): string | undefined {
  let path = '';
  const kinds = [
    file.services,
    file.ingresses,
    file.canaries,
    file.metricTemplates,
    file.alertProviders ?? [],
    file.canaryChecks,
  ];
  for (const objects of kinds) {
    for (const { source } of objects) {
      if (path === '') path = source.file;
      else if (source.file !== path) return undefined;
    }
  }
  return path;
}

/**
 * Each file's place by the path its objects name; undefined when a file's objects name several paths, or
 * two files one path. Files with no objects have no place: they are in no group.
 */
function pathOrder(files: readonly ParsedFile[]): Map<string, number> | undefined {
  const order = new Map<string, number>();
  for (const [i, file] of files.entries()) {
    const path = pathOf(file);
    if (path === undefined || order.has(path)) return undefined;
    if (path !== '') order.set(path, i);
  }
  return order;
}

/** Joins one Canary, recording every lookup it makes. */
function resolveCanary(canary: CanarySpec, indexes: Indexes): CanaryResolution {
  const lookups: Lookup[] = [];
  const recorded = <T>(table: Table, groups: Groups<T>) => {
    const get = (key: string): readonly T[] | undefined => {
      const found = groups.get(key);
      lookups.push({ table, key, found });
      return found;
    };
    // Only `get` is called by the resolvers (resolveTemplates, resolveAlerts).
    return { get } as unknown as ReadonlyMap<string, readonly T[]>;
  };
  const errors: ManifestError[] = [];
  const key = canaryKey(canary);
  const targetKey = canary.targetName === canary.name ? key : objectKey(canary.namespace, canary.targetName);
  const problem = (field: string, message: string): void => {
    errors.push({ code: 'ManifestInvalid', ...canary.source, field, message, canary: key });
  };
  const done = (resolved?: ResolvedCanary): CanaryResolution => ({
    lookups: compactList(lookups),
    errors: compactList(errors),
    ...(resolved ? { resolved } : {}),
  });

  const sameName = recorded('canariesByName', indexes.canariesByName).get(key) ?? [];
  const sameTarget = recorded('canariesByTarget', indexes.canariesByTarget).get(targetKey) ?? [];
  const targets = recorded('services', indexes.services).get(targetKey) ?? [];
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
    const [checks = noChecks] = recorded('checks', indexes.checks).get(location(canary.source)) ?? [];
    const analysis = resolveTemplates(canary, checks, target, recorded('templates', indexes.templates));
    const ingress = canary.ingressRef
      ? resolveIngressRef(
          canary,
          recorded('ingresses', indexes.ingresses).get(objectKey(canary.namespace, canary.ingressRef.name)) ??
            [],
        )
      : undefined;
    if (!analysis.ok) for (const issue of analysis.issues) problem(issue.field, issue.message);
    if (ingress && !ingress.ok) errors.push(...ingress.errors);
    if (analysis.ok && (!ingress || ingress.ok)) {
      // A bad alert is reported but never stalls the release: alerts only tell of it.
      const alerts = resolveAlerts(canary, recorded('providers', indexes.providers), errors);
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
  return flat(namespace, '/', name);
}

function location(source: SourceRef): string {
  return flat(source.file, '#', String(source.document + 1));
}

function locations(items: readonly { source: SourceRef }[]): string {
  return items
    .map((item) => location(item.source))
    .sort(compareText)
    .join(', ');
}
