// Turns a Canary document of any accepted apiVersion into the one CanarySpec the rest of gitcanary reads,
// with Flagger's meaning: its defaults, its precedence between fields (iterations win over weights, the last
// of stepWeights is the maximum), its clamping (weights above 100 are 100, threshold 0 is 1). Every field that
// does nothing here is a warning (canary-fields.ts); every value that cannot mean what it says is an error,
// reported with the path of the field as written in that document.
import type {
  CanaryAnalysis,
  CanarySpec,
  CustomMetadata,
  GatewayRef,
  RequestMatch,
  RouterName,
  SourceRef,
  StringMatch,
} from '../model.js';
import { noMetadata, compactList, orNoEntries } from './shared-empty.js';
import { routerOf } from '../routers/router-registry.js';
import { canaryFieldTrees, classifyFields, readsField } from './canary-fields.js';
import {
  ACCEPTED_PROVIDERS,
  CanaryDocument,
  FLAGGER_PROVIDERS,
  FLAGGER_V1ALPHA3,
  GITCANARY_V1ALPHA1,
  PROVIDER_ROUTERS,
  type CanaryAnalysisSpec,
  type CanaryServiceSpec,
  type HttpMatch,
} from './canary-schema.js';
import { InvalidDurationError, parseDuration } from './duration.js';
import { isRecord } from './is-record.js';
import { DEFAULT_NOT_COPIED } from '../not-copied-metadata.js';
import { formatFieldPath, type ManifestError } from './manifest-error.js';
import {
  annotationIssues,
  dns1035LabelProblem,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  generatedSuffixes,
  kindProblem,
  kubeLimits,
  labelIssues,
} from './kube-names.js';
import type { FieldIssue } from './field-issue.js';
import { isHttpUrl } from '../analysis/parse-checks.js';
import { readIstioMatch, readMeshService } from './read-mesh-service.js';
import { shardLabel } from '../shards.js';

// Flagger's defaults (pkg/apis/flagger/v1beta1/canary.go and the scheduler), so a migrated Canary means
// what it meant under Flagger.
const DEFAULT_ANALYSIS_INTERVAL = '1m';
const DEFAULT_THRESHOLD = 1;
const DEFAULT_MAX_WEIGHT = 100;
/** Flagger's scheduler never runs a Canary more often than this. */
const FLAGGER_MIN_INTERVAL_SECONDS = 10;
/** Flagger gives a kubernetes-provider Canary without iterations this many (and warns). */
const KUBERNETES_DEFAULT_ITERATIONS = 10;
const DEFAULT_SESSION_MAX_AGE = 86_400;
export const DEFAULT_PROVIDER = 'kubernetes';

interface NormalizeCanaryContext {
  source: SourceRef;
  /** The namespace of a Canary without `metadata.namespace`. */
  defaultNamespace: string;
  /** The provider of a Canary that names none (--default-provider, Flagger's -mesh-provider). */
  defaultProvider?: string;
  /** The target's labels and annotations never copied (--not-copied); DEFAULT_NOT_COPIED when absent. */
  notCopied?: readonly string[];
}

type NormalizeCanaryResult =
  | { ok: true; canary: CanarySpec; warnings: ManifestError[] }
  | { ok: false; errors: ManifestError[]; warnings: ManifestError[] };

export function normalizeCanary(document: unknown, context: NormalizeCanaryContext): NormalizeCanaryResult {
  const report = (issues: FieldIssue[], code: ManifestError['code']): ManifestError[] =>
    issues.map((issue) => ({
      code,
      file: context.source.file,
      document: context.source.document,
      field: issue.field,
      message: issue.message,
      ...canaryKeyOf(document, context.defaultNamespace),
    }));
  const warnings: FieldIssue[] = [];
  const fail = (issues: FieldIssue[]): NormalizeCanaryResult => ({
    ok: false,
    errors: report(issues, 'ManifestInvalid'),
    warnings: report(warnings, 'FieldIgnored'),
  });

  const parsed = CanaryDocument.safeParse(document, {
    error: (issue) => (issue.input === undefined ? 'required' : undefined),
  });
  if (!parsed.success) {
    return fail(
      parsed.error.issues.map((issue) => ({ field: formatFieldPath(issue.path), message: issue.message })),
    );
  }
  const { apiVersion, metadata, spec } = parsed.data;
  const namespace = metadata.namespace ?? context.defaultNamespace;

  const issues: FieldIssue[] = [];
  const provider = readProvider(spec.provider, context.defaultProvider, issues);
  if (provider) warnings.push(...classifyFields(document, canaryFieldTrees[apiVersion], provider.router));
  if (spec.targetRef.namespace != null && spec.targetRef.namespace !== namespace) {
    issues.push({
      field: 'spec.targetRef.namespace',
      message: `the target must be in the Canary's namespace ${namespace}, not ${spec.targetRef.namespace}`,
    });
  }
  issues.push(...nameIssues(metadata, spec));
  const { analysisSpec, analysisField } = selectAnalysis(parsed.data);
  if (analysisSpec === undefined) issues.push({ field: analysisField, message: 'required' });
  const analysis =
    analysisSpec &&
    provider &&
    normalizeAnalysis(analysisSpec, analysisField, apiVersion, provider, issues, warnings);
  const service = readService(
    spec.service ?? {},
    spec.targetRef.name,
    context.notCopied ?? DEFAULT_NOT_COPIED,
    issues,
  );
  const ingressRef =
    spec.ingressRef &&
    provider &&
    readsField(canaryFieldTrees[apiVersion], ['spec', 'ingressRef'], provider.router)
      ? { name: spec.ingressRef.name }
      : undefined;
  if (spec.metricsServer != null && !isHttpUrl(spec.metricsServer)) {
    issues.push({ field: 'spec.metricsServer', message: 'must be an absolute http:// or https:// URL' });
  }

  if (issues.length > 0 || analysis === undefined || provider === undefined) return fail(issues);
  const canary: CanarySpec = {
    source: context.source,
    apiVersion,
    namespace,
    name: metadata.name,
    targetName: spec.targetRef.name,
    ...(metadata.labels?.[shardLabel] ? { shard: metadata.labels[shardLabel] } : {}),
    provider: provider.router,
    ...(provider.version ? { providerVersion: provider.version } : {}),
    ...(spec.metricsServer != null ? { metricsServer: spec.metricsServer } : {}),
    ...(ingressRef ? { ingressRef } : {}),
    service,
    analysis,
    skipAnalysis: spec.skipAnalysis ?? false,
    suspend: spec.suspend ?? false,
    revertOnDeletion: spec.revertOnDeletion ?? false,
    ...(spec.progressDeadlineSeconds != null
      ? { progressDeadlineSeconds: spec.progressDeadlineSeconds }
      : {}),
    annotations: metadata.annotations ?? {},
  };
  const routerIssues = routerOf(canary.provider).check(canary, analysisField);
  if (routerIssues.length > 0) return fail(routerIssues);
  return { ok: true, canary, warnings: report(warnings, 'FieldIgnored') };
}

/** The provider in effect and the router it names; an unknown or unsupported one is an error. */
function readProvider(
  written: string | null | undefined,
  fallback: string | undefined,
  issues: FieldIssue[],
): { router: RouterName; version?: string } | undefined {
  const name = written ?? fallback ?? DEFAULT_PROVIDER;
  const from = written == null ? ` (from --default-provider)` : '';
  const routed = PROVIDER_ROUTERS[name];
  if (routed) return routed;
  const known = (FLAGGER_PROVIDERS as readonly string[]).includes(name);
  const supported = `gitcanary routes for ${ACCEPTED_PROVIDERS.join(', ')}`;
  issues.push({
    field: 'spec.provider',
    message: known
      ? `provider "${name}"${from} is not supported yet; ${supported}`
      : `unknown provider "${name}"${from}; ${supported}`,
  });
  return undefined;
}

/** Which field holds the analysis in this apiVersion, and its path for errors. */
function selectAnalysis(document: CanaryDocument): {
  analysisSpec: CanaryAnalysisSpec | undefined;
  analysisField: string;
} {
  switch (document.apiVersion) {
    case GITCANARY_V1ALPHA1:
      return { analysisSpec: document.spec.analysis ?? undefined, analysisField: 'spec.analysis' };
    case FLAGGER_V1ALPHA3:
      return {
        analysisSpec: document.spec.canaryAnalysis ?? undefined,
        analysisField: 'spec.canaryAnalysis',
      };
    default:
      // As Flagger's GetAnalysis: `analysis` wins, the deprecated `canaryAnalysis` is the fallback.
      if (document.spec.analysis == null && document.spec.canaryAnalysis != null) {
        return { analysisSpec: document.spec.canaryAnalysis, analysisField: 'spec.canaryAnalysis' };
      }
      return { analysisSpec: document.spec.analysis ?? undefined, analysisField: 'spec.analysis' };
  }
}

function normalizeAnalysis(
  spec: CanaryAnalysisSpec,
  at: string,
  apiVersion: string,
  provider: { router: RouterName },
  issues: FieldIssue[],
  warnings: FieldIssue[],
): CanaryAnalysis | undefined {
  const before = issues.length;
  const intervalSeconds = readInterval(spec.interval ?? DEFAULT_ANALYSIS_INTERVAL, `${at}.interval`, issues);
  const flagger = apiVersion !== GITCANARY_V1ALPHA1;
  const interval =
    flagger && intervalSeconds !== undefined && intervalSeconds < FLAGGER_MIN_INTERVAL_SECONDS
      ? (warnings.push({
          field: `${at}.interval`,
          message: `below Flagger's minimum: taken as ${FLAGGER_MIN_INTERVAL_SECONDS}s, as Flagger does`,
        }),
        FLAGGER_MIN_INTERVAL_SECONDS)
      : intervalSeconds;

  // Zero is "not set" for every scheduling number, as in Flagger's Go structs.
  const positive = (value: number | null | undefined) => (value ? value : undefined);
  const clamp = (value: number | undefined) => (value === undefined ? undefined : Math.min(value, 100));
  let iterations = positive(spec.iterations);
  let maxWeight = clamp(positive(spec.maxWeight));
  let stepWeight = clamp(positive(spec.stepWeight));
  // An empty list is "not set", as in Flagger (templating tools often render one).
  let stepWeights = spec.stepWeights?.length ? spec.stepWeights : undefined;
  if (stepWeights !== undefined) checkStepWeights(stepWeights, `${at}.stepWeights`, issues);
  const asksForWeights = stepWeight !== undefined || stepWeights !== undefined || maxWeight !== undefined;

  if (iterations !== undefined && asksForWeights) {
    const ignored = ['stepWeight', 'stepWeights', 'maxWeight'].filter(
      (k) => spec[k as keyof CanaryAnalysisSpec],
    );
    for (const key of ignored) {
      warnings.push({
        field: `${at}.${key}`,
        message:
          'ignored: iterations is set, so the run is blue/green or A/B and no weight steps are taken (as in Flagger)',
      });
    }
    stepWeight = undefined;
    stepWeights = undefined;
    maxWeight = undefined;
  } else if (provider.router === 'kubernetes' && asksForWeights) {
    issues.push({
      field: at,
      message:
        'asks for traffic weights, but provider kubernetes cannot shift traffic: set spec.provider (or --default-provider) to a router such as gatewayapi, or use iterations for a blue/green run',
    });
  } else if (provider.router === 'kubernetes' && iterations === undefined) {
    iterations = KUBERNETES_DEFAULT_ITERATIONS;
  } else if (iterations === undefined && stepWeight === undefined && stepWeights === undefined) {
    issues.push({ field: at, message: 'one of stepWeight, stepWeights or iterations is required' });
  }

  if (stepWeights !== undefined && stepWeight !== undefined) {
    // Flagger's nextStepWeight: stepWeight sets the step, the last of stepWeights the maximum.
    warnings.push({
      field: `${at}.stepWeights`,
      message:
        'only its last value is used (as the maximum weight): stepWeight sets the steps, as in Flagger',
    });
    maxWeight = clamp(stepWeights.at(-1));
    stepWeights = undefined;
  } else if (stepWeights !== undefined) {
    if (maxWeight !== undefined) {
      warnings.push({
        field: `${at}.maxWeight`,
        message: 'ignored: with stepWeights the last step is the maximum weight, as in Flagger',
      });
    }
    stepWeights = [...new Set(stepWeights.map((w) => Math.min(w, 100)))];
    maxWeight = stepWeights.at(-1);
  } else if (stepWeight !== undefined) {
    maxWeight ??= DEFAULT_MAX_WEIGHT;
  }
  const mirrorWeight = spec.mirrorWeight ?? undefined;
  if (mirrorWeight !== undefined && !spec.mirror) {
    warnings.push({ field: `${at}.mirrorWeight`, message: 'has no effect without mirror: true' });
  }
  // What the router in effect does not act on was warned of as ignored; leaving it out makes that true (an
  // A/B match with a router that cannot match would otherwise send every request to the canary).
  const tree = canaryFieldTrees[apiVersion as keyof typeof canaryFieldTrees];
  const reads = (field: string) => readsField(tree, [...at.split('.'), field], provider.router);
  const stepWeightPromotion = reads('stepWeightPromotion')
    ? clamp(positive(spec.stepWeightPromotion))
    : undefined;
  if (issues.length > before || interval === undefined) return undefined;

  const affinity = reads('sessionAffinity') ? (spec.sessionAffinity ?? undefined) : undefined;
  return {
    intervalSeconds: interval,
    threshold: spec.threshold || DEFAULT_THRESHOLD,
    ...(maxWeight !== undefined ? { maxWeight } : {}),
    ...(stepWeight !== undefined ? { stepWeight } : {}),
    ...(stepWeights !== undefined ? { stepWeights } : {}),
    ...(iterations !== undefined ? { iterations } : {}),
    ...(stepWeightPromotion !== undefined ? { stepWeightPromotion } : {}),
    match: compactList(reads('match') ? (spec.match ?? []).map(readMatch) : []),
    mirror: reads('mirror') ? (spec.mirror ?? false) : false,
    ...(mirrorWeight !== undefined ? { mirrorWeight } : {}),
    ...(affinity
      ? {
          sessionAffinity: {
            cookieName: affinity.cookieName,
            maxAge: affinity.maxAge || DEFAULT_SESSION_MAX_AGE,
            ...definedOnly({
              primaryCookieName: affinity.primaryCookieName || undefined,
              domain: affinity.domain || undefined,
              path: affinity.path || undefined,
              httpOnly: affinity.httpOnly || undefined,
              secure: affinity.secure || undefined,
              partitioned: affinity.partitioned || undefined,
              sameSite: affinity.sameSite ?? undefined,
            }),
          },
        }
      : {}),
    ...(spec.metrics != null ? { metrics: spec.metrics } : {}),
    ...(spec.webhooks != null ? { webhooks: spec.webhooks } : {}),
    ...(spec.alerts != null ? { alerts: spec.alerts } : {}),
  };
}

function readService(
  spec: CanaryServiceSpec,
  targetName: string,
  notCopied: readonly string[],
  issues: FieldIssue[],
): CanarySpec['service'] {
  const gatewayRefs: GatewayRef[] = (spec.gatewayRefs ?? []).map((ref) =>
    definedOnly({
      name: ref.name,
      namespace: ref.namespace ?? undefined,
      group: ref.group ?? undefined,
      kind: ref.kind ?? undefined,
      sectionName: ref.sectionName ?? undefined,
      port: ref.port ?? undefined,
    }),
  );
  const metadata = (
    written: { labels?: unknown; annotations?: unknown } | null | undefined,
  ): CustomMetadata =>
    written?.labels == null && written?.annotations == null
      ? noMetadata
      : {
          labels: orNoEntries(written.labels as Record<string, string> | null | undefined),
          annotations: orNoEntries(written.annotations as Record<string, string> | null | undefined),
        };
  for (const [key, value] of [
    ['timeout', spec.timeout],
    ['backendTimeout', spec.backendTimeout],
  ] as const) {
    if (value != null && !GATEWAY_DURATION.test(value)) {
      issues.push({
        field: `spec.service.${key}`,
        message: `must be a duration such as 10s, 500ms or 1h (Gateway API's form), got "${value}"`,
      });
    }
  }
  const headers = spec.headers
    ? definedOnly({
        request: spec.headers.request ? headerOperations(spec.headers.request) : undefined,
        response: spec.headers.response ? headerOperations(spec.headers.response) : undefined,
      })
    : undefined;
  const rewrite = spec.rewrite
    ? definedOnly({
        uri: spec.rewrite.uri || undefined,
        authority: spec.rewrite.authority || undefined,
        type: spec.rewrite.type || undefined,
      })
    : undefined;
  return {
    ...(spec.port != null ? { port: spec.port } : {}),
    apexName: spec.name ?? targetName,
    gatewayRefs: compactList(gatewayRefs),
    hosts: compactList(spec.hosts ?? []),
    match: compactList((spec.match ?? []).map(readMatch)),
    ...definedOnly({
      timeout: spec.timeout ?? undefined,
      backendTimeout: spec.backendTimeout ?? undefined,
      trafficDistribution: spec.trafficDistribution ?? undefined,
    }),
    ...(rewrite ? { rewrite } : {}),
    ...(headers ? { headers } : {}),
    ...readMeshService(spec, issues),
    mirror: compactList(
      (spec.mirror ?? []).map((mirror) => ({
        backendRef: definedOnly({
          name: mirror.backendRef.name,
          namespace: mirror.backendRef.namespace ?? undefined,
          group: mirror.backendRef.group ?? undefined,
          kind: mirror.backendRef.kind ?? undefined,
          port: mirror.backendRef.port ?? undefined,
        }),
        ...(mirror.percent != null ? { percent: mirror.percent } : {}),
      })),
    ),
    apex: metadata(spec.apex),
    primary: metadata(spec.primary),
    canary: metadata(spec.canary),
    unmanaged: {
      labels: compactList(spec.unmanagedMetadata?.labels ?? []),
      annotations: compactList(spec.unmanagedMetadata?.annotations ?? []),
    },
    notCopied,
  };
}

// Gateway API's Duration: a subset of Go's, at most one of each unit, no fractions.
const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/u;

function headerOperations(written: NonNullable<NonNullable<CanaryServiceSpec['headers']>['request']>) {
  return definedOnly({
    add: written.add ?? undefined,
    set: written.set ?? undefined,
    remove: written.remove ?? undefined,
  });
}

function readMatch(written: HttpMatch): RequestMatch {
  const stringMatch = (m: HttpMatch['uri']): StringMatch | undefined =>
    m
      ? definedOnly({
          exact: m.exact ?? undefined,
          prefix: m.prefix ?? undefined,
          regex: m.regex ?? undefined,
          ...(m.suffix != null ? { suffix: m.suffix } : {}),
        })
      : undefined;
  const map = (m: HttpMatch['headers']) =>
    m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, stringMatch(v) ?? {}])) : undefined;
  return definedOnly({
    uri: stringMatch(written.uri),
    method: stringMatch(written.method),
    headers: map(written.headers),
    queryParams: map(written.queryParams),
    istio: readIstioMatch(written),
  });
}

function readInterval(text: string, field: string, issues: FieldIssue[]): number | undefined {
  try {
    const seconds = parseDuration(text);
    if (seconds > 0) return seconds;
    issues.push({ field, message: `must be longer than zero, got "${text}"` });
  } catch (error) {
    if (!(error instanceof InvalidDurationError)) throw error;
    issues.push({ field, message: error.message });
  }
  return undefined;
}

function checkStepWeights(stepWeights: readonly number[], field: string, issues: FieldIssue[]): void {
  stepWeights.forEach((weight, index) => {
    const previous = stepWeights[index - 1];
    if (weight < 1) {
      issues.push({ field, message: `step ${index} (${weight}) must be at least 1` });
    } else if (previous !== undefined && weight <= previous) {
      issues.push({
        field,
        message: `must be strictly increasing: step ${index} (${weight}) follows ${previous}`,
      });
    }
  });
}

/** `{ canary: "ns/name" }` when the document names itself, even if it is otherwise invalid. */
export function canaryKeyOf(document: unknown, defaultNamespace: string): { canary?: string } {
  const metadata = isRecord(document) ? document.metadata : undefined;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') return {};
  const namespace =
    typeof metadata.namespace === 'string' && metadata.namespace !== ''
      ? metadata.namespace
      : defaultNamespace;
  return { canary: `${namespace}/${metadata.name}` };
}

/** The object without its undefined values, so optional fields are absent rather than undefined. */
function definedOnly<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/**
 * The names gitcanary makes objects and paths of, by Kubernetes' rules: the Canary's name is a custom
 * resource's name, a label value (`gitcanary.dev/canary`) and a file name; the target's name makes
 * `<target>-primary` and `<target>-canary`; the metadata of `service` is written on generated objects.
 */
function nameIssues(
  metadata: { name: string; namespace?: string | null | undefined },
  spec: {
    targetRef: { name: string };
    service?: {
      name?: string | null | undefined;
      gatewayRefs?: readonly WrittenParentRef[] | null | undefined;
      apex?: WrittenMetadata;
      primary?: WrittenMetadata;
      canary?: WrittenMetadata;
    } | null;
  },
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const add = (field: string, problem: string | undefined) => {
    if (problem) issues.push({ field, message: problem });
  };
  add('metadata.name', dns1123SubdomainProblem(metadata.name, kubeLimits.label));
  if (metadata.namespace != null) add('metadata.namespace', dns1123LabelProblem(metadata.namespace));
  const target = spec.targetRef.name;
  const targetProblem = dns1035LabelProblem(target);
  add('spec.targetRef.name', targetProblem);
  const longest = Math.max(...generatedSuffixes.map((suffix) => suffix.length));
  if (!targetProblem && target.length + longest > kubeLimits.label) {
    const name = `${target}${generatedSuffixes[0]}`;
    add(
      'spec.targetRef.name',
      `the Service ${JSON.stringify(name)} made of it would be ${name.length} characters, over the limit of ${kubeLimits.label}: the target's name can be at most ${kubeLimits.label - longest}`,
    );
  }
  const service = spec.service ?? {};
  if (service.name != null) add('spec.service.name', dns1035LabelProblem(service.name));
  for (const part of ['apex', 'primary', 'canary'] as const) {
    const written = service[part];
    if (!isRecord(written)) continue;
    if (isRecord(written.labels)) issues.push(...labelIssues(written.labels, `spec.service.${part}.labels`));
    if (isRecord(written.annotations))
      issues.push(...annotationIssues(written.annotations, `spec.service.${part}.annotations`));
  }
  (service.gatewayRefs ?? []).forEach((ref, index) =>
    issues.push(...parentRefIssues(ref, `spec.service.gatewayRefs[${index}]`)),
  );
  return issues;
}

type WrittenParentRef = Partial<
  Record<'name' | 'namespace' | 'group' | 'kind' | 'sectionName', string | null | undefined>
>;

/**
 * A gatewayRef becomes a parentRef of the route gitcanary writes: Gateway API's rules for it (an object's
 * name, a namespace, a group that is empty or a DNS subdomain, a kind, a section name).
 */
function parentRefIssues(ref: WrittenParentRef, field: string): FieldIssue[] {
  const problems: [string, string | undefined][] = [
    ['name', ref.name == null ? undefined : dns1123SubdomainProblem(ref.name)],
    ['namespace', ref.namespace == null ? undefined : dns1123LabelProblem(ref.namespace)],
    ['group', ref.group == null || ref.group === '' ? undefined : dns1123SubdomainProblem(ref.group)],
    ['kind', ref.kind == null ? undefined : kindProblem(ref.kind)],
    ['sectionName', ref.sectionName == null ? undefined : dns1123SubdomainProblem(ref.sectionName)],
  ];
  return problems.flatMap(([name, message]) => (message ? [{ field: `${field}.${name}`, message }] : []));
}

type WrittenMetadata = { labels?: unknown; annotations?: unknown } | null | undefined;
