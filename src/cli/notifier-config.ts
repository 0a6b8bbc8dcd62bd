// The options of telling people (alerts, commit statuses, commit links) and the notifier they describe.
// Alerts need no option: a Canary's `analysis.alerts` turns them on; their Secrets are read from the same
// credentials directory as MetricTemplates'.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { defaultApiUrl, FORGES, repositoryPath, type Forge } from '../core/commit-status/forge-status.js';
import type { ResolvedCanary } from '../core/manifests/assemble.js';
import { cloneHistory } from '../git/history-clone.js';
import type { Repository } from '../git/repository.js';
import { alertSink } from '../notify/alert-sink.js';
import { commitStatusSink } from '../notify/commit-status-sink.js';
import type { RetryPolicy } from '../notify/delivery.js';
import {
  TransitionNotifier,
  type NotifierMetrics,
  type TransitionSink,
} from '../notify/transition-notifier.js';

export interface NotifierFlags {
  repo?: string;
  branch: string;
  defaultNamespace: string;
  metricsCredentialsDir?: string;
  commitStatus?: Forge;
  commitStatusUrl?: string;
  commitStatusTokenFile?: string;
  commitUrlTemplate?: string;
  notificationRef?: string;
}

/** Thrown for a bad value; the CLI maps it to exit code 2 like every configuration error. */
type ConfigErrorFactory = (message: string) => Error;

export function addNotifierOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--commit-status <forge>', 'set commit statuses on each release: github, gitlab or gitea')
        .choices(FORGES)
        .env('GITCANARY_COMMIT_STATUS'),
    )
    .addOption(
      new Option(
        '--commit-status-url <url>',
        "the forge's API root (default: api.github.com, or /api/v3, /api/v4, /api/v1 on the repository's host)",
      ).env('GITCANARY_COMMIT_STATUS_URL'),
    )
    .addOption(
      new Option(
        '--commit-status-token-file <file>',
        'file holding the forge API token (or set GITCANARY_COMMIT_STATUS_TOKEN)',
      ).env('GITCANARY_COMMIT_STATUS_TOKEN_FILE'),
    )
    .addOption(
      new Option(
        '--commit-url-template <template>',
        'link to a commit in the forge, {sha} replaced, e.g. https://github.com/team/deploy/commit/{sha}',
      ).env('GITCANARY_COMMIT_URL_TEMPLATE'),
    )
    .addOption(
      new Option(
        '--notification-ref <ref>',
        'ref on the git server marking the last commit told of (default refs/gitcanary/notified/<branch>)',
      ).env('GITCANARY_NOTIFICATION_REF'),
    );
}

/** `{sha}` in the template replaced by a commit id; undefined without a template. */
export function commitUrlOf(template: string | undefined): ((oid: string) => string) | undefined {
  return template ? (oid) => template.replaceAll('{sha}', oid) : undefined;
}

interface NotifierContext {
  repo: Repository;
  auth: { username: string; password: string } | undefined;
  canaries: () => readonly ResolvedCanary[];
  logger: Logger;
  metrics?: NotifierMetrics;
  configError: ConfigErrorFactory;
  /** Tests shorten the waits between tries. */
  retry?: RetryPolicy;
}

export function createNotifier(flags: NotifierFlags, context: NotifierContext): TransitionNotifier {
  const { repo, auth, logger, configError } = context;
  if (!flags.repo) throw configError('--repo is required');
  const url = flags.repo;
  const markRef = flags.notificationRef ?? `refs/gitcanary/notified/${flags.branch}`;
  if (!/^refs\/[\w.\-/]+$/.test(markRef) || markRef === `refs/heads/${flags.branch}`) {
    throw configError(
      `--notification-ref: expected a ref such as refs/gitcanary/notified/main, got "${markRef}"`,
    );
  }
  const history = () => cloneHistory({ url, branch: flags.branch, depth: 200, ...(auth ? { auth } : {}) });
  let indexed: readonly ResolvedCanary[] | undefined;
  let byKey = new Map<string, ResolvedCanary>();
  const canary = (key: string) => {
    const current = context.canaries();
    if (current !== indexed) {
      indexed = current;
      byKey = new Map(current.map((r) => [`${r.canary.namespace}/${r.canary.name}`, r]));
    }
    return byKey.get(key);
  };
  const commitUrl = commitUrlOf(flags.commitUrlTemplate);
  const sinks: TransitionSink[] = [
    alertSink({
      canary,
      ...(flags.metricsCredentialsDir ? { credentialsDir: flags.metricsCredentialsDir } : {}),
      ...(commitUrl ? { commitUrl } : {}),
    }),
  ];
  if (flags.commitStatus) {
    sinks.push(
      commitStatusSink({
        forge: flags.commitStatus,
        apiUrl: flags.commitStatusUrl ?? defaultApiUrl(flags.commitStatus, url),
        repository: repositoryPath(url),
        token: readToken(flags.commitStatusTokenFile, configError),
        canary,
        defaultNamespace: flags.defaultNamespace,
        store: repo,
        history,
        ...(commitUrl ? { commitUrl } : {}),
      }),
    );
  }
  const statuses = flags.commitStatus !== undefined;
  return new TransitionNotifier({
    repo,
    markRef,
    sinks,
    history,
    logger,
    ...(context.metrics ? { metrics: context.metrics } : {}),
    ...(context.retry ? { retry: context.retry } : {}),
    enabled: () => statuses || context.canaries().some((r) => r.alerts !== undefined),
  });
}

function readToken(file: string | undefined, configError: ConfigErrorFactory): string {
  let token = process.env.GITCANARY_COMMIT_STATUS_TOKEN;
  if (file) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw configError(
        `--commit-status-token-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`,
      );
    }
  }
  if (!token) {
    throw configError(
      '--commit-status needs a token: --commit-status-token-file or GITCANARY_COMMIT_STATUS_TOKEN',
    );
  }
  return token;
}
