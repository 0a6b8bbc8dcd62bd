// The bad-input suite: each case is a repository on the test git server holding a good Canary and one bad
// input (test/support/bad-inputs.ts). One in-process reconcile pass against the real API server must give a
// clear error naming the file (with its line, or its field), never throw or hang, reconcile and apply the
// good Canary, and write nothing to git or the cluster for the bad input. The process's RSS is sampled
// through the whole suite: the alias and size bombs must not move it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRepository } from '../../src/git/repository.js';
import { Cluster } from '../../src/kube/cluster.js';
import { Reconciler, type ReconcileSummary } from '../../src/reconcile/reconciler.js';
import { badInputs, goodCanary, goodService, type BadInput } from '../support/bad-inputs.js';
import { commitCraftedEntries } from '../support/crafted-tree.js';
import { createBareRepository } from '../support/git-server.js';
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

/**
 * RSS of this process, sampled every 5 ms: its peak over the suite, and over each bomb's pass (the bombs run
 * one at a time) what the pass added to the RSS it started with.
 */
const rss = {
  baseline: 0,
  peak: 0,
  pass: { start: 0, peak: 0 },
  bombAdded: { bytes: 0, name: '' },
  bombPeak: 0,
  timer: undefined as NodeJS.Timeout | undefined,
};
const namespaces: string[] = [];
const timings: number[] = [];

beforeAll(() => {
  rss.baseline = process.memoryUsage.rss();
  rss.peak = rss.baseline;
  rss.timer = setInterval(() => {
    const now = process.memoryUsage.rss();
    rss.peak = Math.max(rss.peak, now);
    rss.pass.peak = Math.max(rss.pass.peak, now);
  }, 5);
});

afterAll(() => {
  clearInterval(rss.timer);
  console.log(
    `bad-input suite: ${badInputs.length} cases (${bombs.length} alias or size bombs); RSS of this process ` +
      `${mib(rss.baseline)} MiB at the start, ${mib(rss.peak)} MiB at its peak; during a bomb's pass at most ` +
      `${mib(rss.bombPeak)} MiB, at most +${mib(rss.bombAdded.bytes)} MiB over the pass's start ` +
      `(${rss.bombAdded.name}); slowest pass ${Math.max(...timings)} ms`,
  );
});

/**
 * A new bare repository on the test server whose `main` holds `files` in one commit, written with one
 * `git fast-import` (a clone, add, commit and push per case cost more than the passes); crafted entries on top.
 */
async function seed(
  files: Record<string, string | Buffer>,
  crafted: ReturnType<NonNullable<BadInput['crafted']>> | undefined,
) {
  const name = `bad-input-${Math.random().toString(36).slice(2, 10)}`;
  const url = await createBareRepository(server, name);
  const bareDir = join(server.root, `${name}.git`);
  const parts: Buffer[] = [
    Buffer.from(
      'commit refs/heads/main\ncommitter A Pusher <pusher@example.test> 1764583200 +0000\ndata 29\ngood canary and one bad input\n',
    ),
  ];
  for (const [path, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    parts.push(Buffer.from(`M 100644 inline ${path}\ndata ${bytes.length}\n`), bytes, Buffer.from('\n'));
  }
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      'git',
      ['--git-dir', bareDir, 'fast-import', '--quiet'],
      { env: gitEnv },
      (error) => (error ? reject(new Error('git fast-import failed', { cause: error })) : resolve()),
    );
    child.stdin?.end(Buffer.concat(parts));
  });
  if (crafted) await commitCraftedEntries(bareDir, crafted);
  return { url, bareDir };
}

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

/** One case: seed, one pass in this process, then what it said and what it wrote. */
async function runCase(input: BadInput): Promise<void> {
  const ns = await createTestNamespace(kc, 'bad');
  namespaces.push(ns);
  const { url, bareDir } = await seed(
    {
      'apps/podinfo/service.yaml': goodService(ns),
      'apps/podinfo/canary.yaml': goodCanary(ns),
      ...input.files(ns),
    },
    input.crafted?.(ns),
  );
  const workdir = await mkdtemp(join(tmpdir(), 'gitcanary-workdir-'));
  let summary: ReconcileSummary;
  const started = performance.now();
  rss.pass = { start: process.memoryUsage.rss(), peak: 0 };
  try {
    const repo = await openRepository({
      url,
      branch: 'main',
      dir: workdir,
      auth: { username: server.username, password: server.password },
    });
    const reconciler = new Reconciler({
      repo,
      cluster: new Cluster(kc),
      applies: true,
      root: '',
      defaultNamespace: ns,
      author: { name: 'gitcanary', email: 'gitcanary@test' },
      clock: () => new Date('2026-11-26T10:00:00Z'),
      logger: pino({ level: 'silent' }),
    });
    summary = await withDeadline(reconciler.reconcileOnce(), input.name);
  } finally {
    if (input.bomb) {
      rss.bombPeak = Math.max(rss.bombPeak, rss.pass.peak);
      const added = rss.pass.peak - rss.pass.start;
      if (added > rss.bombAdded.bytes) rss.bombAdded = { bytes: added, name: input.name };
    }
    timings.push(Math.round(performance.now() - started));
    await rm(workdir, { recursive: true, force: true });
  }

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

// One at a time, so that the RSS a pass adds is its own.
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
    // The bombs are refused without being expanded: a billion laughs expanded would be gigabytes. What a
    // pass adds is counted (the test process itself, vitest and its workers, is ~150 MiB before any); the
    // most is js-yaml reading a list of 100,001 items, ~80 MiB, before the node budget refuses it.
    expect(rss.bombAdded.bytes).toBeLessThan(128 * 1024 * 1024);
  });
});
