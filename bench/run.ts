// `npm run bench`: gitcanary beside its peers (git, kubectl) on repositories of 100, 1,000 and 5,000
// Canaries, against the real components of the test harness. Prints one table of medians and writes it,
// with every measurement, to bench/results/latest.json. What each row measures: docs/performance.md.
//
//   npm run bench -- --sizes 100 --runs 3      a quick run while developing
//   npm run bench -- --no-live-cache           GET every live object, as before the live cache
//   npm run bench -- --sizes 5000 --memory-only    one cold sync, then the memory row alone (for profiling;
//                                                  BENCH_HEAP_SNAPSHOT=<file> writes the child's heap)
//   npm run bench -- --scenario shards             K shard processes stepping at once on one branch
//       [--sizes 5000] [--shards 1,2,4] [--due 100] [--rounds 3]   (bench/shard-contention.ts;
//                                                  writes bench/results/shards.json)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { format } from 'prettier';
import { createNamespaces } from './bench-cluster.js';
import { startBenchComponents } from './components.js';
import { analysisIntervalSeconds, generateRepository } from './generate-repository.js';
import { bundleReconcilerProcess, memory } from './memory.js';
import { NativeGit } from './native-git.js';
import { describeMachine, markdownTable, rowsOf, type SizeResult } from './report.js';
import { changedPoll, coldSync, ms, noopPoll, step, type SizeContext } from './scenarios.js';
import { bundleShardProcess } from './shard-child.js';
import { shardContention, type ShardResult } from './shard-contention.js';
import { shardRowsOf } from './shard-report.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'table' },
    // Default: 100,1000,5000 for the table, 5000 for the shards.
    sizes: { type: 'string' },
    runs: { type: 'string', default: '5' },
    'cold-runs': { type: 'string', default: '3' },
    // Default: bench/results/latest.json for the table, bench/results/shards.json for the shards.
    out: { type: 'string' },
    'no-live-cache': { type: 'boolean', default: false },
    'memory-only': { type: 'boolean', default: false },
    shards: { type: 'string', default: '1,2,4' },
    due: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
  },
});
const scenario = values.scenario;
if (scenario !== 'table' && scenario !== 'shards') {
  throw new Error(`--scenario: table or shards, not ${scenario}`);
}
const sizes = (values.sizes ?? (scenario === 'shards' ? '5000' : '100,1000,5000')).split(',').map(Number);
const out = values.out ?? `bench/results/${scenario === 'shards' ? 'shards' : 'latest'}.json`;
const runs = Number(values.runs);
const coldRuns = Number(values['cold-runs']);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const started = performance.now();
const machine = describeMachine();
const [components] = await Promise.all([
  startBenchComponents((line) => log(line)),
  scenario === 'shards' ? bundleShardProcess() : bundleReconcilerProcess(),
]);
const work = await mkdtemp(join(tmpdir(), 'gitcanary-bench-'));
let report: { table: string; durationSeconds: number };
try {
  const git = new NativeGit(components.gitServer);
  report = scenario === 'shards' ? await runShards(git) : await runTable(git);
} finally {
  await components.stop();
  await rm(work, { recursive: true, force: true });
}
process.stdout.write(`${report.table}\n`);
log(`done in ${report.durationSeconds} s; wrote ${out}`);

/** The table of the four in-process measurements and memory, each beside its peer. */
async function runTable(git: NativeGit) {
  const results: SizeResult[] = [];
  for (const size of sizes) {
    const sizeStart = performance.now();
    const gen = await generateRepository(size, `s${size}`);
    await createNamespaces(components.kubeConfig, gen.namespaces);
    const [url, peerUrl] = [
      await git.publish(`bench-${size}`, gen.files),
      await git.publish(`peer-${size}`, gen.files),
    ];
    log(
      `${size} Canaries: ${gen.files.size} files, ${gen.objectCount} objects, ready in ${ms(performance.now() - sizeStart)}`,
    );
    const ctx: SizeContext = {
      gen,
      url,
      peerUrl,
      server: components.gitServer,
      controlPlane: components.controlPlane,
      kubeConfig: components.kubeConfig,
      git,
      work,
      liveCache: !values['no-live-cache'],
      log: (line) => log(`${size}: ${line}`),
    };
    const memoryOnly = values['memory-only'];
    // Cold syncs of the larger repositories take minutes: fewer runs, and no warm-up once the smaller
    // sizes have warmed up the JIT and kubectl's discovery cache.
    const cold = await coldSync(ctx, {
      warmups: size >= 1000 || memoryOnly ? 0 : 1,
      runs: size >= 5000 || memoryOnly ? 1 : size >= 1000 ? Math.min(2, coldRuns) : coldRuns,
    });
    const times = { warmups: 1, runs };
    const noop = memoryOnly ? undefined : await noopPoll(ctx, times);
    const changed = memoryOnly ? undefined : await changedPoll(ctx, cold.bench, times);
    const stepped = memoryOnly ? undefined : await step(ctx, cold.bench, times);
    await cold.bench.dispose();
    // The memory run's clock is past every step the step row took, so nothing is due in it.
    const steps = memoryOnly ? 0 : times.warmups + times.runs;
    const mem = await memory(
      ctx,
      new Date(gen.epoch.getTime() + (steps * (analysisIntervalSeconds + 1) + 30) * 1000),
    );
    const result: SizeResult = {
      canaries: size,
      files: gen.files.size,
      objects: gen.objectCount,
      ...(noop ? { noop } : {}),
      ...(changed ? { changed } : {}),
      cold: cold.result,
      ...(stepped ? { step: stepped } : {}),
      memory: mem,
    };
    results.push(result);
    log(`${size} Canaries done in ${ms(performance.now() - sizeStart)}\n${markdownTable(rowsOf(result))}`);
  }
  return writeReport(markdownTable(results.flatMap(rowsOf)), {
    options: { sizes, runs, coldRuns, liveCache: !values['no-live-cache'] },
    results,
  });
}

/** K shard processes stepping at once, for each size and K (bench/shard-contention.ts). */
async function runShards(git: NativeGit) {
  const shardCounts = values.shards.split(',').map(Number);
  const [due, rounds] = [Number(values.due), Number(values.rounds)];
  const results: ShardResult[] = [];
  for (const size of sizes) {
    for (const [i, shards] of shardCounts.entries()) {
      const result = await shardContention({
        size,
        shards,
        due: Math.min(due, size),
        rounds,
        components,
        git,
        work,
        namespacesReady: i > 0,
        log: (line) => log(`${size}: ${line}`),
      });
      results.push(result);
      log(`${size} Canaries, K=${shards}: ${JSON.stringify(result)}`);
    }
  }
  const load = loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
  const table = `${markdownTable(shardRowsOf(results))}\n\nload average at the end ${load} (1 / 5 / 15 min), ${machine.cores} cores`;
  return writeReport(table, { options: { sizes, shards: shardCounts, due, rounds }, results });
}

/** Writes the report to `out`, formatted as the repository's Prettier check expects. */
async function writeReport(table: string, fields: { options: object; results: object[] }) {
  const report = {
    generatedAt: new Date().toISOString(),
    durationSeconds: Math.round((performance.now() - started) / 1000),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((n) => Number(n.toFixed(2))) },
    ...fields,
    table,
  };
  await mkdir(dirname(out), { recursive: true });
  // Formatted as the repository's Prettier check expects, so a committed result passes `npm run lint`.
  await writeFile(out, await format(JSON.stringify(report), { parser: 'json' }));
  return report;
}
