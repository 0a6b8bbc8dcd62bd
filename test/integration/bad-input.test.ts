// The bad-input suite: each case is a repository on the test git server holding a good Canary and one bad
// input (test/support/bad-inputs.ts). One reconcile pass against the real API server must give a clear
// error naming the file (with its line, or its field), never throw or hang, reconcile and apply the good
// Canary, and write nothing to git or the cluster for the bad input. Most passes run in this process,
// several at a time; the alias and size bombs run one at a time in one child process that does nothing
// else (test/support/reconcile-process.ts), whose RSS is sampled as the daemon's would be.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { openRepository } from '../../src/git/repository.js';
import { Cluster } from '../../src/kube/cluster.js';
import type { ReconcileSummary } from '../../src/reconcile/outcomes.js';
import { createReconciler } from '../../src/reconcile/create-reconciler.js';
import { badInputs, goodCanary, goodService, type BadInput } from '../support/bad-inputs.js';
import { seededRepository } from '../support/seeded-repository.js';
import { kc, server } from '../support/release-fixture.js';
import { createTestNamespace } from '../support/test-namespace.js';

const execFileAsync = promisify(execFile);
const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (args: string[], cwd?: string) =>
  execFileAsync('git', ['-c', 'user.name=A Pusher', '-c', 'user.email=pusher@example.test', ...args], {
    cwd,
    env: gitEnv,
    maxBuffer: 64 * 1024 * 1024,
  });
const core = kc.makeApiClient(CoreV1Api);
const passDeadlineMs = 30_000;
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

const namespaces: string[] = [];
const timings: number[] = [];
/** The child's RSS when ready, its peak over every bomb's pass, and what each pass added to its start. */
const child = { ready: 0, peak: 0, passes: [] as string[], added: new Map<string, number>() };

afterAll(() => {
  console.log(
    `bad-input suite: ${badInputs.length} cases, ${bombs.length} alias or size bombs through one reconcile ` +
      `process: its RSS ${mib(child.ready)} MiB when ready, ${mib(child.peak)} MiB at its peak; ` +
      `slowest pass ${Math.max(...timings)} ms\n  ${child.passes.join('\n  ')}`,
  );
});

/** One pass of a new Reconciler on `url`, in this process. */
async function passInProcess(url: string, ns: string): Promise<ReconcileSummary> {
  const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-workdir-'));
  try {
    const repo = await openRepository({
      url,
      branch: 'main',
      dir: workdir,
      auth: { username: server.username, password: server.password },
    });
    const reconciler = createReconciler({
      repo,
      cluster: new Cluster(kc),
      defaultNamespace: ns,
      clock: () => new Date('2026-11-26T10:00:00Z'),
    });
    return await reconciler.reconcileOnce();
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}

/** The reconcile process of the bombs: one line in, one line out. */
class ReconcileProcess {
  private readonly lines: AsyncIterator<string, unknown>;

  private constructor(private readonly process: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: process.stdout })[Symbol.asyncIterator]();
  }

  static async start(): Promise<ReconcileProcess> {
    const started = new ReconcileProcess(
      spawn(process.execPath, ['--import', 'tsx', 'test/support/reconcile-process.ts'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    const ready = (await started.ask({
      kubeconfig: kc.exportConfig(),
      username: server.username,
      password: server.password,
    })) as { rss: number };
    child.ready = ready.rss;
    return started;
  }

  async ask(request: unknown): Promise<unknown> {
    this.process.stdin.write(`${JSON.stringify(request)}\n`);
    const next: IteratorResult<string, unknown> = await this.lines.next();
    if (next.done === true) throw new Error('the reconcile process exited');
    return JSON.parse(next.value) as unknown;
  }

  stop(): void {
    this.process.stdin.end('exit\n');
  }
}

let reconcileProcess: ReconcileProcess | undefined;

async function passInChild(url: string, ns: string, name: string): Promise<ReconcileSummary> {
  reconcileProcess ??= await ReconcileProcess.start();
  const answer = (await reconcileProcess.ask({ url, ns })) as {
    summary?: ReconcileSummary;
    error?: string;
    rss: { start: number; peak: number };
  };
  child.peak = Math.max(child.peak, answer.rss.peak);
  child.added.set(name, answer.rss.peak - answer.rss.start);
  child.passes.push(
    `${name}: peak ${mib(answer.rss.peak)} MiB (+${mib(answer.rss.peak - answer.rss.start)})`,
  );
  if (!answer.summary) throw new Error(`${name}: the pass threw: ${answer.error}`);
  return answer.summary;
}

afterAll(() => reconcileProcess?.stop());

function withDeadline<T>(promise: Promise<T>, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${label}: the pass hung for ${passDeadlineMs} ms`)),
      passDeadlineMs,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

/** One case: seed, one pass, then what it said and what it wrote. */
async function runCase(input: BadInput): Promise<void> {
  const ns = await createTestNamespace(kc, 'bad');
  namespaces.push(ns);
  const { url, bareDir } = await seededRepository(
    server,
    'bad-input',
    {
      'apps/podinfo/service.yaml': goodService(ns),
      'apps/podinfo/canary.yaml': goodCanary(ns),
      ...input.files(ns),
    },
    input.crafted?.(ns),
  );
  const started = performance.now();
  const summary = await withDeadline(
    input.bomb ? passInChild(url, ns, input.name) : passInProcess(url, ns),
    input.name,
  );
  timings.push(Math.round(performance.now() - started));

  // A clear error that names the file, and where in it.
  const errors = [...summary.errors, ...summary.canaries.flatMap((c) => (c.error ? [c.error] : []))];
  const located = new RegExp(`^${escape(input.file)}(:\\d+(:\\d+)?: |#\\d+: [^:]+: |: )`, 'u');
  const error = errors.find((e) => located.test(e) && input.message.test(e));
  expect(error, `errors: ${JSON.stringify(errors, null, 2)}`).toBeDefined();
  // With its line, or its field when the file could not be parsed far enough to have one.
  expect(error).toMatch(new RegExp(`^${escape(input.file)}(:\\d+|#\\d+: [^:]+:|: )`, 'u'));

  // The good Canary reconciled and applied: its objects are live, and only its objects were written.
  const good = summary.canaries.find((c) => c.canary === `${ns}/podinfo`);
  expect(good).toMatchObject({ phase: 'Initialized' });
  expect(good?.error).toBeUndefined();
  const written = [...summary.changes.created, ...summary.changes.configured, ...summary.changes.deleted];
  expect(written.sort()).toEqual([`Service/${ns}/podinfo-canary`, `Service/${ns}/podinfo-primary`]);
  expect(summary.changes.failed).toEqual([]);
  const primary = await core.readNamespacedService({ name: 'podinfo-primary', namespace: ns });
  expect(primary.spec?.selector).toEqual({ app: 'podinfo' });

  // Git: one commit, changing only the good Canary's generated file.
  expect(summary.commits).toHaveLength(1);
  const changed = (await git(['--git-dir', bareDir, 'diff', '--name-only', 'main~1', 'main'])).stdout;
  expect(changed.split('\n').filter(Boolean)).toEqual(['apps/podinfo/podinfo.gitcanary.yaml']);
}

const [bombs, others] = [badInputs.filter((c) => c.bomb), badInputs.filter((c) => !c.bomb)];
const title = '$name: an error for its file, and the good Canary goes on';

describe.concurrent('the bad-input suite', () => {
  it.each(others)(title, runCase);
});

// One at a time through the reconcile process, so that its RSS is what a pass of each costs.
describe.sequential('the bad-input suite: alias and size bombs', () => {
  it.each(bombs)(title, runCase);
});

describe('after the bad-input suite', () => {
  it('left no Service of a bad input in any namespace, and memory stayed bounded', async () => {
    const managed = await core.listServiceForAllNamespaces({
      labelSelector: 'app.kubernetes.io/managed-by=gitcanary',
    });
    // The suite's namespaces, and those a bad input names (other test files write in namespaces of their own).
    const watched = new Set([...namespaces, 'kube-system', 'default']);
    const good = new Set(namespaces.flatMap((ns) => [`${ns}/podinfo-primary`, `${ns}/podinfo-canary`]));
    const written = managed.items
      .map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)
      .filter((key) => watched.has(key.split('/')[0] ?? '') && !good.has(key));
    expect(written).toEqual([]);
    expect(namespaces).toHaveLength(badInputs.length);
    expect(badInputs.length).toBeGreaterThanOrEqual(130);
    // The bombs are refused without being expanded (a billion laughs expanded would be gigabytes), and files
    // of many small nodes before they are parsed: none of their passes grows the reconcile process by more
    // than 64 MiB.
    const added = bombs.map((c) => [c.name, child.added.get(c.name)]);
    expect(added.filter(([, bytes]) => bytes === undefined || Number(bytes) > 64 * 1024 * 1024)).toEqual([]);
    expect(child.peak).toBeLessThan(512 * 1024 * 1024);
  });
});
