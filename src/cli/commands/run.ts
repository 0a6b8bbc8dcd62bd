// `gitcanary run`: the daemon. Reconciles on a schedule and on verified push webhooks, serves /healthz,
// /readyz and /metrics, optionally elects a leader among replicas, and shuts down gracefully on SIGTERM.
import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import cron from 'node-cron';
import type { Logger } from 'pino';
import { startDaemon } from '../../daemon/daemon.js';
import { DEFAULT_WEBHOOK_MAX_BODY_BYTES } from '../../daemon/http-server.js';
import { LeaderElector, defaultIdentity } from '../../daemon/leader-elector.js';
import { LeaseLock } from '../../kube/lease-lock.js';
import { meterRepository } from '../../daemon/metered-repository.js';
import { DaemonMetrics } from '../../daemon/metrics.js';
import { describeTarget } from '../../kube/gitops-notifier.js';
import { dns1123SubdomainProblem } from '../../core/manifests/kube-names.js';
import { pageView, timelinePage } from '../../daemon/timeline-page.js';
import { cloneHistory } from '../../git/history-clone.js';
import { commitUrlOf } from '../notifier-config.js';
import {
  addReconcilerOptions,
  ConfigError,
  createLogger,
  reconcilerFromFlags,
  gitAuth,
  kubeConfigWithDeadline,
  parseBool,
  parseDeadline,
  type ReconcilerFlags,
} from '../reconciler-config.js';

interface RunFlags extends ReconcilerFlags {
  schedule: string;
  listen: string;
  webhookSecretFile?: string;
  webhookMaxBodyBytes: number;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  leaderElectionName?: string;
  shutdownTimeout: number;
}

/** Where a pod's service account namespace is mounted. */
const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function runCommand(): Command {
  const env = process.env;
  return addReconcilerOptions(
    new Command('run')
      .description('run as a daemon: reconcile on a schedule and on push webhooks until SIGINT or SIGTERM')
      .addOption(
        new Option('--schedule <cron>', 'node-cron expression (seconds field allowed)')
          .env('GITCANARY_SCHEDULE')
          .default('*/10 * * * * *'),
      )
      .addOption(
        new Option(
          '--listen <address>',
          'host:port of /healthz, /readyz, /metrics and /hooks/git; ":8080" for all interfaces',
        )
          .env('GITCANARY_LISTEN')
          .default('127.0.0.1:8080'),
      )
      .addOption(
        new Option(
          '--webhook-secret-file <file>',
          'secret of the push webhook (or set GITCANARY_WEBHOOK_SECRET); without one /hooks/git is off',
        ).env('GITCANARY_WEBHOOK_SECRET_FILE'),
      )
      .addOption(
        new Option(
          '--webhook-max-body-bytes <n>',
          'largest push-webhook body read; a larger one is refused (413) before it is read',
        )
          .env('GITCANARY_WEBHOOK_MAX_BODY_BYTES')
          .argParser(parseByteCount)
          .default(DEFAULT_WEBHOOK_MAX_BODY_BYTES, '1048576 (1 MiB)'),
      )
      .addOption(
        new Option('--leader-elect <bool>', 'elect one leader among replicas through a Lease')
          .env('GITCANARY_LEADER_ELECT')
          .argParser(parseBool)
          .default(false),
      )
      .addOption(
        new Option('--leader-election-namespace <ns>', "namespace of the Lease (default: the pod's own)").env(
          'GITCANARY_LEADER_ELECTION_NAMESPACE',
        ),
      )
      .addOption(
        new Option(
          '--leader-election-name <name>',
          'name of the Lease (default: gitcanary-leader, or gitcanary-leader-<key> with --shard <key>)',
        ).env('GITCANARY_LEADER_ELECTION_NAME'),
      )
      .addOption(
        new Option(
          '--shutdown-timeout <duration>',
          "after SIGTERM, exit within this long whatever is in flight (below the pod's grace period)",
        )
          .env('GITCANARY_SHUTDOWN_TIMEOUT')
          .argParser(parseDeadline)
          .default(defaultShutdownTimeoutMs),
      ),
  ).action(async (flags: RunFlags) => {
    if (!cron.validate(flags.schedule))
      throw new ConfigError(`--schedule: not a cron expression: "${flags.schedule}"`);
    const { host, port } = parseListen(flags.listen);
    const webhookSecret = readWebhookSecret(flags.webhookSecretFile, env.GITCANARY_WEBHOOK_SECRET);
    const logger = createLogger(flags.logLevel);
    const metrics = new DaemonMetrics();
    const commitUrl = commitUrlOf(flags.commitUrlTemplate);
    const elector = flags.leaderElect
      ? new LeaderElector({
          lock: new LeaseLock(
            kubeConfigWithDeadline(flags),
            leaseNamespace(flags.leaderElectionNamespace),
            flags.leaderElectionName ?? leaseName(flags.shard),
          ),
          identity: defaultIdentity(),
          logger,
          releaseOnCancel: true,
        })
      : undefined;
    metrics.gitopsTargets(flags.notify.map(describeTarget));
    const { reconciler, runner, repo, notifier, close } = await reconcilerFromFlags(flags, logger, {
      wrapRepository: (repo) => meterRepository(repo, metrics),
      gitopsNotified: (target, result) => metrics.gitopsNotification(target, result),
      notifierMetrics: metrics,
    });
    // The live cache's watches keep the process alive until closed, also when the daemon cannot start.
    try {
      if (!webhookSecret) logger.info('no webhook secret: /hooks/git is off, polling on the schedule only');
      const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
      });
      const daemon = await startDaemon({
        // Telling people follows each pass, in the background (src/notify/transition-notifier.ts).
        reconciler: {
          reconcileOnce: async (signal?: AbortSignal) => {
            const summary = await runner.reconcileOnce(signal);
            notifier.afterPass(summary.head);
            return summary;
          },
        },
        passTimeoutMs: flags.passTimeout,
        // Half the budget for the pass in flight; the rest for releasing the Lease and closing the port.
        drainTimeoutMs: flags.shutdownTimeout / 2,
        // Git holds the state: a restart (the kubelet's, or systemd's) is the way out of a wedged pass.
        onStuck: () => exit(logger, 'an abandoned pass did not end; exiting so that the process restarts'),
        schedule: flags.schedule,
        logger,
        metrics,
        host,
        port,
        ...(webhookSecret ? { webhookSecret } : {}),
        webhookMaxBodyBytes: flags.webhookMaxBodyBytes,
        ...(elector ? { elector } : {}),
        page: timelinePage({
          repo,
          view: pageView({
            repo,
            reconciling: () => !elector || elector.isLeader,
            canaries: () => reconciler.resolvedCanaries(),
            root: flags.path,
            parse: { defaultNamespace: flags.defaultNamespace, defaultProvider: flags.defaultProvider },
            pollSeconds: 10,
          }),
          history: () => {
            const auth = gitAuth(flags);
            return cloneHistory({
              url: flags.repo ?? repo.displayUrl,
              branch: flags.branch,
              depth: 100,
              ...(auth ? { auth } : {}),
            });
          },
          ...(commitUrl ? { commitUrl } : {}),
        }),
      });
      logger.info({ signal: await stopSignal }, 'shutting down');
      // Whatever is still in flight at the deadline (a request ignoring its signal, a stuck socket), the
      // process exits before the kubelet's SIGKILL. A second SIGTERM exits at once (no handler is left).
      setTimeout(
        () => exit(logger, 'shutdown deadline passed; exiting with work in flight'),
        flags.shutdownTimeout,
      ).unref();
      await daemon.stop();
      await Promise.race([notifier.idle(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    } finally {
      close();
    }
  });
}

/** Within the Deployment's 60 s terminationGracePeriodSeconds, with room for the kubelet to spare. */
const defaultShutdownTimeoutMs = 45_000;

function exit(logger: Logger, message: string): never {
  logger.fatal(message);
  process.exit(1);
}

/** `host:port`, `[v6]:port` or `:port`; an empty host listens on every interface (IPv6 and IPv4). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535)
    throw new ConfigError(`--listen: expected host:port, [ipv6]:port or :port, got "${value}"`);
  return { host: match[1] ?? match[2] ?? '', port };
}

/** A whole number of bytes, 1 KiB to 25 MiB (GitHub's own cap on a delivery). */
export function parseByteCount(value: string): number {
  const bytes = Number(value);
  if (!/^\d+$/u.test(value.trim()) || bytes < 1024 || bytes > 25 * 1024 * 1024) {
    throw new ConfigError(`expected a number of bytes from 1024 to 26214400, got "${value}"`);
  }
  return bytes;
}

/** The secret from a file (one trailing newline dropped, as `echo` adds it), else the variable's value. */
export function readWebhookSecret(file: string | undefined, fromEnv: string | undefined): Buffer | undefined {
  if (!file) return fromEnv ? Buffer.from(fromEnv, 'utf8') : undefined;
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError(`--webhook-secret-file: cannot read ${file}: ${(err as Error).message}`);
  }
  if (secret === '') throw new ConfigError(`--webhook-secret-file: ${file} is empty`);
  return Buffer.from(secret, 'utf8');
}

/** The flag, else the namespace of the pod's service account. */
/** Each shard elects its own leader: `gitcanary-leader`, or `gitcanary-leader-<key>` for `--shard <key>`. */
export function leaseName(shard: string | undefined): string {
  const name = shard ? `gitcanary-leader-${shard}` : 'gitcanary-leader';
  const problem = dns1123SubdomainProblem(name);
  if (problem) {
    throw new ConfigError(
      `--shard ${JSON.stringify(shard)} cannot name its Lease (${problem}): give --leader-election-name`,
    );
  }
  return name;
}

export function leaseNamespace(flag: string | undefined, saFile = serviceAccountNamespaceFile): string {
  if (flag) return flag;
  if (existsSync(saFile)) return readFileSync(saFile, 'utf8').trim();
  throw new ConfigError(
    '--leader-election-namespace is required outside a pod (no service account namespace is mounted)',
  );
}
