// `npm run bench -- --scenario shards`: K shard processes on one branch, stepping at the same moment. For
// each K, one repository of N Canaries whose `gitcanary.dev/shard` label is spread round robin over K keys
// (none for K = 1, run with --shard ''), the first M of them released and so due one interval after the
// generator's epoch. K processes (bench/shard-process.ts) sync cold; then, R times, the benchmark moves
// every process's clock one interval on at once, so every due Canary of every shard steps at that moment,
// and a person pushes a commit of their own in the middle of it. Afterwards git history is audited
// (shard-audit.ts) and each step is timed from the due moment to the accepted push that carried it.
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createNamespaces } from './bench-cluster.js';
import type { BenchComponents } from './components.js';
import { analysisIntervalSeconds, generateRepository, shardKey } from './generate-repository.js';
import { percentile } from './measure.js';
import type { NativeGit } from './native-git.js';
import { auditShardRun, type HistoryCommit, type ShardRunAudit } from './shard-audit.js';
import { ShardChild } from './shard-child.js';
import type { ShardRound } from './shard-process.js';

export interface ShardScenarioOptions {
  size: number;
  shards: number;
  /** Canaries due at each round (M). */
  due: number;
  rounds: number;
  components: BenchComponents;
  git: NativeGit;
  /** A scratch directory: clones and the processes' logs. */
  work: string;
  /** Namespaces already created by an earlier K of the same size (the cold sync finds its objects). */
  namespacesReady: boolean;
  log: (line: string) => void;
}

export interface ShardResult {
  canaries: number;
  shards: number;
  due: number;
  rounds: number;
  /** The slowest process's cold sync, all K syncing at once. */
  coldMs: number;
  /** From the due moment until every process had settled, per round. */
  roundMs: number[];
  latency: { p50: number; p99: number; max: number; steps: number };
  /** Pushes refused because another writer moved the branch first, over all processes. */
  rejections: number;
  /** `push rejected, re-planning` lines in the processes' own logs. */
  loggedRetries: number;
  /** Passes that gave up after the last retry (their Canaries stepped at the next pass). */
  exhausted: number;
  passes: number;
  humanPushes: number;
  humanRejections: number;
  audit: Omit<ShardRunAudit, 'stepOids'> & { steps: number };
  errors: string[];
  loadAverage: { start: number[]; end: number[] };
}

const processTimeoutMs = 20 * 60_000;
const at = (epoch: Date, seconds: number) => new Date(epoch.getTime() + seconds * 1000);
const load = () => loadavg().map((n) => Number(n.toFixed(2)));

export async function shardContention(options: ShardScenarioOptions): Promise<ShardResult> {
  const { size, shards, components, git, work, log } = options;
  const loadAtStart = load();
  const gen = await generateRepository(size, `sh${size}`, { shards, released: options.due });
  if (!options.namespacesReady) await createNamespaces(components.kubeConfig, gen.namespaces);
  const url = await git.publish(`shards-${size}-k${shards}`, gen.files);
  const due = gen.releasedApps.map((app) => `${app.namespace}/${app.name}`);
  const observer = join(work, `observer-${size}-k${shards}`);
  await git.run(['clone', '--quiet', '--bare', url, observer]);
  const start = (await git.run(['rev-parse', 'HEAD'], observer)).trim();

  const env = {
    BENCH_REPO_URL: url,
    BENCH_GIT_USERNAME: components.gitServer.username,
    BENCH_GIT_PASSWORD: components.gitServer.password,
    BENCH_KUBECONFIG: components.controlPlane.kubeconfigPath,
    BENCH_NAMESPACES: gen.namespaces.join(','),
    BENCH_NOW: at(gen.epoch, analysisIntervalSeconds / 2).toISOString(),
  };
  const children: ShardChild[] = [];
  try {
    const coldStart = performance.now();
    for (let i = 0; i < shards; i += 1) {
      children.push(
        await ShardChild.start({
          shard: shardKey(i, shards),
          logFile: join(work, `shard-${size}-k${shards}-${i}.log`),
          env,
        }),
      );
    }
    const ready = await Promise.all(children.map((c) => c.ready(processTimeoutMs)));
    const coldMs = performance.now() - coldStart;
    const bad = ready.find((r) => r.commits > 0 || r.errors > 0);
    if (bad) throw new Error(`a cold sync committed ${bad.commits} times with ${bad.errors} errors`);
    log(`K=${shards}: ${children.length} processes in sync in ${Math.round(coldMs)} ms`);

    const person = new Person(git, join(work, `person-${size}-k${shards}`));
    await person.clone(url);
    const rounds: { dueAt: number; shards: ShardRound[]; settledMs: number }[] = [];
    for (let r = 1; r <= options.rounds; r += 1) {
      const now = at(gen.epoch, r * (analysisIntervalSeconds + 1));
      const dueAt = Date.now();
      for (const child of children) child.setClock(now);
      const [settled] = await Promise.all([
        Promise.all(children.map((c) => c.settled(processTimeoutMs))),
        person.commitAndPush(`round ${r}`),
      ]);
      const settledMs = Date.now() - dueAt;
      rounds.push({ dueAt, shards: settled, settledMs });
      log(`K=${shards} round ${r}: settled in ${settledMs} ms, load ${load().join(' ')}`);
    }

    await git.run(['fetch', '--quiet', 'origin', '+refs/heads/main:refs/heads/main'], observer);
    const history = await historyOf(git, observer, start);
    const latencies = new Map<string, number>();
    for (const round of rounds) {
      for (const push of round.shards.flatMap((s) => s.pushes)) {
        for (const oid of push.commits) latencies.set(oid, push.at - round.dueAt);
      }
    }
    const { stepOids, ...audit } = auditShardRun({
      history,
      due,
      rounds: options.rounds,
      accepted: [...latencies.keys()],
      human: person.pushed,
    });
    const stepLatencies = stepOids.flatMap((oid) => {
      const ms = latencies.get(oid);
      return ms === undefined ? [] : [ms];
    });
    const perShard = rounds.flatMap((round) => round.shards);
    const logs = await Promise.all(children.map((c) => readFile(c.logFile, 'utf8')));
    return {
      canaries: size,
      shards,
      due: due.length,
      rounds: options.rounds,
      coldMs,
      roundMs: rounds.map((round) => round.settledMs),
      latency: {
        p50: percentile(stepLatencies, 50),
        p99: percentile(stepLatencies, 99),
        max: percentile(stepLatencies, 100),
        steps: stepLatencies.length,
      },
      rejections: perShard.reduce((sum, s) => sum + s.rejections, 0),
      loggedRetries: logs.reduce((sum, text) => sum + text.split('push rejected, re-planning').length - 1, 0),
      exhausted: perShard.reduce((sum, s) => sum + s.exhausted, 0),
      passes: perShard.reduce((sum, s) => sum + s.passes, 0),
      humanPushes: person.pushed.length,
      humanRejections: person.rejections,
      audit: { ...audit, steps: stepOids.length },
      errors: perShard.flatMap((s) => s.errors),
      loadAverage: { start: loadAtStart, end: load() },
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

/** The commits from `start` (excluded) to the branch's head, oldest first, with their messages. */
async function historyOf(git: NativeGit, dir: string, start: string): Promise<HistoryCommit[]> {
  const out = await git.run(['log', '--reverse', '--format=%H%x1f%B%x1e', `${start}..main`], dir);
  return out
    .split('\x1e')
    .map((record) => record.trim())
    .filter(Boolean)
    .map((record) => {
      const [oid = '', message = ''] = record.split('\x1f');
      return { oid, message };
    });
}

/**
 * A person who edits the README while the shards step: commits on what they last pulled and pushes; when
 * refused (a shard pushed first), pulls with rebase and pushes again, as people do.
 */
class Person {
  readonly pushed: string[] = [];
  rejections = 0;

  constructor(
    private readonly git: NativeGit,
    private readonly dir: string,
  ) {}

  async clone(url: string): Promise<void> {
    await this.git.run(['clone', '--quiet', url, this.dir]);
  }

  async commitAndPush(line: string): Promise<void> {
    const readme = join(this.dir, 'README.md');
    await writeFile(readme, `${await readFile(readme, 'utf8')}\n${line}\n`);
    await this.git.run(['commit', '--quiet', '-am', `README: ${line}`], this.dir);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.git.run(['push', '--quiet', 'origin', 'HEAD:main'], this.dir);
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        this.rejections += 1;
        await this.git.run(['pull', '--quiet', '--rebase', 'origin', 'main'], this.dir);
      }
    }
    this.pushed.push((await this.git.run(['rev-parse', 'HEAD'], this.dir)).trim());
  }
}
