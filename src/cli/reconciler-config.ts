// Turns command-line options and environment variables into a Reconciler: the one place where the CLI's
// configuration is validated, so a bad value stops the command before anything is read or written.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { pino, type Logger } from 'pino';
import {
  defaultTimeoutMs as defaultGitTimeoutMs,
  openRepository,
  type Repository,
  type RepositoryOptions,
} from '../git/repository.js';
import { labelValueProblem } from '../core/manifests/kube-names.js';
import { lockWorkdir, WorkdirLockedError } from '../git/workdir-lock.js';
import { Cluster, loadKubeConfig } from '../kube/cluster.js';
import { LiveCache } from '../kube/live-cache.js';
import { withRequestDeadline } from '../kube/request-deadline.js';
import { reuseConnections } from '../kube/reuse-connections.js';
import { PassScope, type PassRunner } from '../reconcile/pass-scope.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import { createReconciler, DEFAULT_AUTHOR } from '../reconcile/create-reconciler.js';
import { runAnalysis } from '../analysis/run-analysis.js';
import { InvalidDurationError, parseDuration } from '../core/manifests/duration.js';
import {
  AddressPolicy,
  AddressPolicyError,
  parseCidr,
  resolveApiServer,
} from '../analysis/address-policy.js';
import { notifyAll, webhookNotifier } from '../reconcile/webhook-notifier.js';
import { CanaryEventRecorder } from '../kube/canary-events.js';
import {
  describeTarget,
  GitOpsNotifier,
  parseNotifyTarget,
  type NotifyResult,
  type NotifyTarget,
} from '../kube/gitops-notifier.js';
import { ACCEPTED_PROVIDERS } from '../core/manifests/canary-schema.js';
import { DEFAULT_PROVIDER } from '../core/manifests/normalize-canary.js';
import type { TransitionNotifier, NotifierMetrics } from '../notify/transition-notifier.js';
import { addNotifierOptions, createNotifier, type NotifierFlags } from './notifier-config.js';

export class ConfigError extends Error {
  readonly code = 'ConfigInvalid';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

// A healthy API server answers in milliseconds, a LIST page of 500 objects in well under a second.
const defaultKubeTimeoutMs = 15_000;

// Above the git deadline, so that one slow request can still complete; a cold sync of 5,000 Canaries took
// 39 s (docs/performance.md).
const defaultPassTimeoutMs = 120_000;

export interface ReconcilerFlags extends NotifierFlags {
  config?: string;
  repo?: string;
  branch: string;
  path: string;
  workdir?: string;
  kubeconfig?: string;
  apply: boolean;
  allowExternalIps: boolean;
  defaultNamespace: string;
  defaultProvider: string;
  namespaces?: string;
  /** Only the Canaries labelled `gitcanary.dev/shard: <key>` ('' for those without); absent: all. */
  shard?: string;
  gitUsername?: string;
  gitPasswordFile?: string;
  authorName: string;
  authorEmail: string;
  logLevel: string;
  metricsServer?: string;
  metricsCredentialsDir?: string;
  notify: NotifyTarget[];
  notCopied?: string[];
  webhookAllowCidrs?: string[];
  webhookDenyCidrs?: string[];
  webhookAllowHosts?: string[];
  /** Milliseconds. */
  analysisDeadline: number;
  /** Deadline of one git HTTP request, in milliseconds. */
  gitTimeout: number;
  /** Deadline of one Kubernetes API request, in milliseconds. */
  kubeTimeout: number;
  /** Deadline of one reconcile pass, in milliseconds. */
  passTimeout: number;
}

/**
 * The options every command that reconciles shares. Each can also come from a GITCANARY_* variable or from
 * the `--config` file; the precedence is flag, then environment, then config file, then default.
 */
export function addReconcilerOptions(command: Command): Command {
  const option = (flags: string, description: string, env?: string, fallback?: unknown) => {
    const o = new Option(flags, description);
    if (env) o.env(env);
    if (fallback !== undefined) o.default(fallback);
    return o;
  };
  command
    .addOption(
      option('--config <file>', 'YAML file of these options (keys as the long flags)', 'GITCANARY_CONFIG'),
    )
    .addOption(option('--repo <url>', 'http(s) URL of the git repository', 'GITCANARY_REPO'))
    .addOption(option('--branch <name>', 'branch to read and commit to', 'GITCANARY_BRANCH', 'main'))
    .addOption(
      option('--path <dir>', 'only read manifests under this folder of the repository', 'GITCANARY_PATH', ''),
    )
    .addOption(
      option('--workdir <dir>', 'local git directory (an object store, no checkout)', 'GITCANARY_WORKDIR'),
    )
    .addOption(
      option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, then in-cluster)'),
    )
    .addOption(
      option(
        '--apply <bool>',
        'apply to the cluster; false = commit only and let Argo CD / Flux apply',
        'GITCANARY_APPLY',
        true,
      ).argParser(parseBool),
    )
    .addOption(
      option(
        '--allow-external-ips <bool>',
        "let generated Services copy the target's spec.externalIPs (they can capture any address's traffic)",
        'GITCANARY_ALLOW_EXTERNAL_IPS',
        false,
      ).argParser(parseBool),
    )
    .addOption(
      option(
        '--default-namespace <ns>',
        'namespace of manifests that name none',
        'GITCANARY_DEFAULT_NAMESPACE',
        'default',
      ),
    )
    .addOption(defaultProviderOption())
    .addOption(
      option(
        '--not-copied <keys>',
        "the target's labels and annotations never copied to the generated Services, `<prefix>/*` for a prefix; replaces the default list of GitOps tools' marks (app.kubernetes.io/instance, argocd.argoproj.io/*, kustomize.toolkit.fluxcd.io/*)",
        'GITCANARY_NOT_COPIED',
      ).argParser(parseList),
    )
    .addOption(
      option(
        '--namespaces <list>',
        'comma-separated namespaces gitcanary may act in (default: all)',
        'GITCANARY_NAMESPACES',
      ),
    )
    .addOption(
      option(
        '--shard <key>',
        "only the Canaries labelled gitcanary.dev/shard=<key>; '' for those without the label (default: all)",
        'GITCANARY_SHARD',
      ).argParser(parseShard),
    )
    .addOption(option('--git-username <name>', 'git user for Basic auth', 'GITCANARY_GIT_USERNAME'))
    .addOption(
      option(
        '--git-password-file <file>',
        'file holding the git password or token (or set GITCANARY_GIT_PASSWORD)',
        'GITCANARY_GIT_PASSWORD_FILE',
      ),
    )
    .addOption(
      option(
        '--author-name <name>',
        'author of gitcanary commits',
        'GITCANARY_AUTHOR_NAME',
        DEFAULT_AUTHOR.name,
      ),
    )
    .addOption(
      option(
        '--author-email <email>',
        'author email of gitcanary commits',
        'GITCANARY_AUTHOR_EMAIL',
        DEFAULT_AUTHOR.email,
      ),
    )
    .addOption(
      option('--log-level <level>', 'trace, debug, info, warn, error', 'GITCANARY_LOG_LEVEL', 'info'),
    )
    .addOption(
      option(
        '--metrics-server <url>',
        'Prometheus for the built-in metrics and inline queries',
        'GITCANARY_METRICS_SERVER',
      ),
    )
    .addOption(
      option(
        '--metrics-credentials-dir <dir>',
        'where MetricTemplate secretRefs are mounted: <dir>/<namespace>/<secret>/{token|username,password}',
        'GITCANARY_METRICS_CREDENTIALS_DIR',
      ),
    )
    .addOption(notifyOption())
    .addOption(
      option(
        '--webhook-allow-cidrs <list>',
        "address ranges the repository's webhooks and MetricTemplates may call; more specific than a refused range to open it (e.g. 127.0.0.1/32)",
        'GITCANARY_WEBHOOK_ALLOW_CIDRS',
      ).argParser(parseCidrList),
    )
    .addOption(
      option(
        '--webhook-deny-cidrs <list>',
        'address ranges refused on top of link-local, loopback, unspecified and the API server',
        'GITCANARY_WEBHOOK_DENY_CIDRS',
      ).argParser(parseCidrList),
    )
    .addOption(
      option(
        '--webhook-allow-hosts <list>',
        'when set, the only host names webhooks and MetricTemplates may call (host or *.domain)',
        'GITCANARY_WEBHOOK_ALLOW_HOSTS',
      ).argParser(parseList),
    )
    .addOption(
      option(
        '--analysis-deadline <duration>',
        "how long one Canary's webhooks and queries of a pass may take in all",
        'GITCANARY_ANALYSIS_DEADLINE',
      )
        .argParser(parseDeadline)
        .default(60_000, '60s'),
    )
    .addOption(
      option(
        '--git-timeout <duration>',
        'deadline of one git request, answer included (e.g. 60s, 2m)',
        'GITCANARY_GIT_TIMEOUT',
        defaultGitTimeoutMs,
      ).argParser(parseDeadline),
    )
    .addOption(
      option(
        '--kube-timeout <duration>',
        'deadline of one Kubernetes API request, answer included (watches excepted)',
        'GITCANARY_KUBE_TIMEOUT',
        defaultKubeTimeoutMs,
      ).argParser(parseDeadline),
    )
    .addOption(
      option(
        '--pass-timeout <duration>',
        'deadline of one reconcile pass; a pass still running is abandoned (its requests end)',
        'GITCANARY_PASS_TIMEOUT',
        defaultPassTimeoutMs,
      ).argParser(parseDeadline),
    )
    .hook('preAction', (thisCommand) => applyConfigFile(thisCommand));
  return addNotifierOptions(command);
}

/**
 * `--notify flux:<ns>/<GitRepository>` or `argocd:<ns>/<Application>`, repeatable (comma-separated in
 * GITCANARY_NOTIFY, a list in the config file): the GitOps tools asked to sync after each push.
 */
function notifyOption(): Option {
  return new Option(
    '--notify <tool:ns/name>',
    'after each push, ask this GitOps tool to sync now: flux:<ns>/<GitRepository> or argocd:<ns>/<Application> (repeatable)',
  )
    .env('GITCANARY_NOTIFY')
    .default([], 'none')
    .argParser((value: string, previous: NotifyTarget[] | undefined) => {
      const targets = [...(previous ?? [])];
      for (const item of value.split(',').map((v) => v.trim())) {
        if (item === '') continue;
        const parsed = parseNotifyTarget(item);
        if ('error' in parsed) throw new ConfigError(`--notify: ${parsed.error}`);
        if (!targets.some((t) => describeTarget(t) === describeTarget(parsed.target)))
          targets.push(parsed.target);
      }
      return targets;
    });
}

/**
 * Fills the options that neither a flag nor the environment set from the `--config` YAML file. Keys are the
 * long flags, kebab-case or camelCase (`default-namespace` or `defaultNamespace`); an unknown key is an
 * error, so a typo never silently falls back to a default. Secrets do not belong in it: use the *-file
 * options.
 */
function applyConfigFile(command: Command): void {
  const file = command.getOptionValue('config') as string | undefined;
  if (!file) return;
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`--config ${file}: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return;
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError(`--config ${file}: expected a mapping of options`);
  const byName = new Map<string, Option>();
  for (const o of command.options) {
    if (!o.long || o.long === '--config') continue;
    byName.set(o.long.slice(2), o);
    byName.set(o.attributeName(), o);
  }
  for (const [key, raw] of Object.entries(parsed as Record<string, unknown>)) {
    const o = byName.get(key);
    if (!o) {
      const known = [...new Set([...byName.values()].map((x) => x.long?.slice(2)))].join(', ');
      throw new ConfigError(`--config ${file}: unknown option "${key}"; known: ${known}`);
    }
    const attribute = o.attributeName();
    const source = command.getOptionValueSource(attribute);
    if (source === 'cli' || source === 'env') continue;
    const text = Array.isArray(raw) ? raw.join(',') : raw;
    if (typeof text !== 'string' && typeof text !== 'number' && typeof text !== 'boolean') {
      throw new ConfigError(`--config ${file}: ${key}: expected a string, number, boolean or list`);
    }
    let value: unknown = o.negate || o.isBoolean() ? Boolean(text) : String(text);
    if (o.parseArg && typeof value === 'string') {
      try {
        value = o.parseArg(value, undefined);
      } catch (err) {
        throw new ConfigError(`--config ${file}: ${key}: ${(err as Error).message}`);
      }
    }
    command.setOptionValueWithSource(attribute, value, 'config');
  }
}

/** `a, b,c` → ['a', 'b', 'c']; the config file's lists arrive joined with commas. */
function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function parseCidrList(value: string): string[] {
  const list = parseList(value);
  for (const cidr of list) {
    try {
      parseCidr(cidr);
    } catch (err) {
      if (err instanceof AddressPolicyError) throw new ConfigError(err.message);
      throw err;
    }
  }
  return list;
}

/** A Go duration (`90s`, `2m`) in milliseconds, above zero. */
/** A `--shard` key: a label value, as the Canaries' `gitcanary.dev/shard` label must be. */
export function parseShard(value: string): string {
  const problem = labelValueProblem(value);
  if (problem) throw new ConfigError(`--shard: ${problem}`);
  return value;
}

export function parseDeadline(value: string): number {
  let seconds: number;
  try {
    seconds = parseDuration(value);
  } catch (err) {
    if (err instanceof InvalidDurationError) throw new ConfigError(err.message);
    throw err;
  }
  if (seconds <= 0) throw new ConfigError(`expected a duration above zero, got "${value}"`);
  return Math.round(seconds * 1000);
}

/**
 * The policy for the repository's webhook and MetricTemplate addresses: the flags, on top of the defaults
 * (link-local, loopback, unspecified) and the API server of the kubeconfig, whose addresses are looked up
 * once here.
 */
export async function createAddressPolicy(
  flags: Pick<ReconcilerFlags, 'webhookAllowCidrs' | 'webhookDenyCidrs' | 'webhookAllowHosts'>,
  apiServerUrl: string | undefined,
): Promise<AddressPolicy> {
  try {
    return new AddressPolicy({
      ...(flags.webhookAllowCidrs ? { allowCidrs: flags.webhookAllowCidrs } : {}),
      ...(flags.webhookDenyCidrs ? { denyCidrs: flags.webhookDenyCidrs } : {}),
      ...(flags.webhookAllowHosts ? { allowHosts: flags.webhookAllowHosts } : {}),
      ...(apiServerUrl ? { apiServer: await resolveApiServer(apiServerUrl) } : {}),
    });
  } catch (err) {
    if (err instanceof AddressPolicyError) throw new ConfigError(err.message);
    throw err;
  }
}

/**
 * `--default-provider`: the provider of a Canary that names none, as Flagger's -mesh-provider. Checked here, so
 * a typo stops the command (exit 2) instead of failing every Canary.
 */
export function defaultProviderOption(): Option {
  return new Option(
    '--default-provider <provider>',
    `provider of Canaries that name none (${ACCEPTED_PROVIDERS.join(', ')})`,
  )
    .env('GITCANARY_DEFAULT_PROVIDER')
    .default(DEFAULT_PROVIDER)
    .argParser((value: string) => {
      if (!ACCEPTED_PROVIDERS.includes(value)) {
        throw new ConfigError(
          `--default-provider: "${value}" is not a provider gitcanary routes for (${ACCEPTED_PROVIDERS.join(', ')})`,
        );
      }
      return value;
    });
}

/** A pass must outlast one request, or a slow but working request could never complete. */
export function checkDeadlines(
  flags: Pick<ReconcilerFlags, 'gitTimeout' | 'kubeTimeout' | 'passTimeout'>,
): void {
  if (flags.passTimeout <= Math.max(flags.gitTimeout, flags.kubeTimeout))
    throw new ConfigError('--pass-timeout must be longer than --git-timeout and --kube-timeout');
}

export function parseBool(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new ConfigError(`expected true or false, got "${value}"`);
}

/** Logs are JSON lines on stderr; credentials never appear in them. */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { name: 'gitcanary' },
      redact: ['password', 'token', 'auth', '*.password', '*.token', '*.auth'],
    },
    pino.destination(2),
  );
}

/** Basic-auth credentials: the user from a flag, the password or token from a file or the environment. */
export function gitAuth(
  flags: Pick<ReconcilerFlags, 'gitUsername' | 'gitPasswordFile'>,
): { username: string; password: string } | undefined {
  const password = flags.gitPasswordFile
    ? readPasswordFile(flags.gitPasswordFile)
    : process.env.GITCANARY_GIT_PASSWORD;
  return flags.gitUsername || password
    ? { username: flags.gitUsername ?? 'git', password: password ?? '' }
    : undefined;
}

/** Missing credentials are a configuration error (exit 2), not an outage: no retry brings the file back. */
function readPasswordFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(
      `--git-password-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/** The repository of `--repo`, with credentials from a file or the environment (never from a flag). */
export async function createRepository(
  flags: Pick<
    ReconcilerFlags,
    'repo' | 'branch' | 'workdir' | 'gitUsername' | 'gitPasswordFile' | 'gitTimeout' | 'shard'
  >,
  hooks: Pick<RepositoryOptions, 'signal' | 'onRepair'> = {},
): Promise<Repository> {
  if (!flags.repo)
    throw new ConfigError('--repo (or GITCANARY_REPO) is required: the http(s) URL of the repository');
  const auth = gitAuth(flags);
  const workdir = flags.workdir ?? defaultWorkdir(flags.repo, flags.branch, flags.shard);
  // Released when the process exits; a second process on this workdir stops here, before touching it.
  try {
    await lockWorkdir(workdir);
  } catch (err) {
    if (err instanceof WorkdirLockedError) throw new ConfigError(`--workdir: ${err.message}`);
    throw err;
  }
  const repo = await openRepository({
    url: flags.repo,
    branch: flags.branch,
    dir: workdir,
    timeoutMs: flags.gitTimeout,
    ...hooks,
    ...(auth ? { auth } : {}),
  });
  return repo;
}

/** What the daemon hands a reconciler to observe it: git operations and GitOps notifications, for /metrics. */
interface ReconcilerHooks {
  wrapRepository?: (repo: Repository) => Repository;
  gitopsNotified?: (target: string, result: NotifyResult) => void;
  /** Counts alerts and commit statuses (src/notify/transition-notifier.ts). */
  notifierMetrics?: NotifierMetrics;
}

/** A reconciler and what stops the watches behind it; a process exits only once `close` was called. */
interface ReconcilerHandle {
  reconciler: Reconciler;
  /** The repository the reconciler commits to (metered, when wrapped). */
  repo: Repository;
  /** Tells of committed transitions; call `afterPass(summary.head)` after each reconcile. */
  notifier: TransitionNotifier;
  /** Passes of `reconciler` whose git and Kubernetes requests end when the signal given aborts. */
  runner: PassRunner;
  close: () => void;
}

/**
 * The reconciler the flags describe. Its live state comes from a watch-backed cache (src/kube/live-cache.ts):
 * one LIST per kind and namespace at start, then no request for an unchanged object. The hooks let the
 * daemon meter git operations (src/daemon/metered-repository.ts) and count GitOps notifications.
 */
export async function reconcilerFromFlags(
  flags: ReconcilerFlags,
  logger: Logger,
  hooks: ReconcilerHooks = {},
): Promise<ReconcilerHandle> {
  const { wrapRepository = (repo: Repository) => repo, notifierMetrics } = hooks;
  checkDeadlines(flags);
  const scope = new PassScope();
  const repo = wrapRepository(
    await createRepository(flags, {
      signal: scope.signal,
      onRepair: (problems) =>
        logger.warn(
          { problems },
          'local git store damaged; emptied it, the next poll fetches the branch again',
        ),
    }),
  );
  // One configuration for every client, so that they share their connections.
  const kubeConfig = kubeConfigWithDeadline(flags, scope.signal);
  // Before the live cache starts: a bad range must stop the command while nothing holds it open.
  const addressPolicy = await createAddressPolicy(flags, kubeConfig.getCurrentCluster()?.server);
  const namespaces = flags.namespaces
    ?.split(',')
    .map((ns) => ns.trim())
    .filter(Boolean);
  const live = await LiveCache.start({
    kubeConfig,
    ...(namespaces?.length ? { namespaces } : {}),
    logger,
  });
  const cluster = new Cluster(kubeConfig, { live });
  const clock = () => new Date();
  const events = new CanaryEventRecorder(kubeConfig, logger, clock);
  const gitops = new GitOpsNotifier(kubeConfig, flags.notify, {
    logger,
    clock,
    ...(hooks.gitopsNotified ? { onResult: hooks.gitopsNotified } : {}),
  });
  const reconciler = createReconciler({
    repo,
    cluster,
    applies: flags.apply,
    allowExternalIPs: flags.allowExternalIps,
    root: flags.path,
    defaultNamespace: flags.defaultNamespace,
    defaultProvider: flags.defaultProvider,
    ...(flags.notCopied ? { notCopied: flags.notCopied } : {}),
    ...(namespaces?.length ? { namespaces } : {}),
    ...(flags.shard !== undefined ? { shard: flags.shard } : {}),
    author: { name: flags.authorName, email: flags.authorEmail },
    clock,
    logger,
    analyze: ({ resolved, needs, state, revision }) =>
      runAnalysis({
        ...resolved,
        needs,
        phase: state.phase,
        revision,
        ...(flags.metricsServer ? { metricsServer: flags.metricsServer } : {}),
        ...(flags.metricsCredentialsDir ? { credentialsDir: flags.metricsCredentialsDir } : {}),
        addressPolicy,
        deadlineMs: flags.analysisDeadline,
      }),
    notify: notifyAll(
      webhookNotifier(logger, clock, { policy: addressPolicy, deadlineMs: flags.analysisDeadline }),
      (resolved, plan) => events.record(resolved.canary, plan),
      gitops.notify,
    ),
    restored: (resolved, restored) => events.recordRestored(resolved.canary, restored),
  });
  const notifier = createNotifier(flags, {
    repo,
    auth: gitAuth(flags),
    canaries: () => reconciler.resolvedCanaries(),
    logger,
    ...(notifierMetrics ? { metrics: notifierMetrics } : {}),
    configError: (message) => new ConfigError(message),
  });
  // A change of a Canary's condition (Ready, Retrying, Stalled) is told on the Canary after the pass.
  const told = {
    reconcileOnce: async () => {
      const summary = await reconciler.reconcileOnce();
      await events.recordConditions(summary.canaries, reconciler.resolvedCanaries());
      return summary;
    },
  };
  return { reconciler, repo, notifier, runner: scope.runner(told), close: () => live.stop() };
}

/** The kubeconfig of the flags, every request of its clients under `--kube-timeout`. */
export function kubeConfigWithDeadline(
  flags: Pick<ReconcilerFlags, 'kubeconfig' | 'kubeTimeout'>,
  signal?: () => AbortSignal | undefined,
): KubeConfig {
  return withRequestDeadline(reuseConnections(loadKubeConfig(flags.kubeconfig)), {
    timeoutMs: flags.kubeTimeout,
    ...(signal ? { signal } : {}),
  });
}

/** One store per repository, branch and shard: shard processes on one machine do not share a workdir. */
function defaultWorkdir(url: string, branch: string, shard: string | undefined): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const key = shard === undefined ? `${url}#${branch}` : `${url}#${branch}#shard=${shard}`;
  const id = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return join(base, 'gitcanary', 'repos', id);
}
