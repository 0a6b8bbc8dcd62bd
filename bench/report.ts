// Turns the measurements into the one table `npm run bench` prints (Markdown, so the README can carry it
// as it is) and into the JSON written to bench/results/latest.json.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import type { MemoryResult } from './memory.js';
import type { ChangedPollResult, ColdSyncResult, NoopPollResult, StepResult } from './scenarios.js';

export interface SizeResult {
  canaries: number;
  files: number;
  objects: number;
  /** Absent in a `--memory-only` run, as are `changed` and `step`. */
  noop?: NoopPollResult;
  changed?: ChangedPollResult;
  cold: ColdSyncResult;
  step?: StepResult;
  memory: MemoryResult;
}

export interface Row {
  measurement: string;
  canaries: number;
  gitcanary: string;
  peer: string;
  ratio: number | undefined;
  target: string;
  requests: string;
  met: boolean;
}

export const targets = {
  noopRatio: 1.5,
  changedRatio: 3,
  coldRatio: 1,
  stepRatio: 1.5,
  memoryMiB: 200,
  /** Far below what would matter (a probe timeout of 1 s, a Lease renewed every 2 s): a target for slices. */
  loopBlockMs: 50,
};

const fmt = (ms: number) =>
  ms < 10 ? `${ms.toFixed(1)} ms` : ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;

export function rowsOf(result: SizeResult): Row[] {
  const { canaries, noop, changed, cold, step, memory } = result;
  const rows: Row[] = [];
  if (noop) {
    const ratio = noop.gitcanaryMs / noop.peerMs;
    rows.push({
      measurement: 'no-op poll',
      canaries,
      gitcanary: fmt(noop.gitcanaryMs),
      peer: `git ls-remote ${fmt(noop.peerMs)}`,
      ratio,
      target: `≤ ${targets.noopRatio}×, 1 git req, 0 kube writes, 0 LIST`,
      requests: `git ${noop.gitRequests}, kube ${noop.kubeReads} reads / ${noop.kubeWrites} writes, ${noop.lists} LIST`,
      met: ratio <= targets.noopRatio && noop.gitRequests <= 1 && noop.kubeWrites === 0 && noop.lists === 0,
    });
  }
  if (changed) {
    const ratio = changed.detectAndPlanMs / changed.peerMs;
    rows.push({
      measurement: 'changed poll (detect + plan)',
      canaries,
      gitcanary: `${fmt(changed.detectAndPlanMs)} (pass ${fmt(changed.passMs)})`,
      peer: `git fetch + diff ${fmt(changed.peerMs)}`,
      ratio,
      target: `≤ ${targets.changedRatio}×`,
      requests: `git ${changed.gitRequests}, ${changed.blobReads} blob(s) read`,
      met: ratio <= targets.changedRatio,
    });
  }
  const coldRatio = cold.gitcanaryMs / cold.peerMs;
  rows.push({
    measurement: 'cold sync',
    canaries,
    gitcanary: fmt(cold.gitcanaryMs),
    peer: `clone ${fmt(cold.peerCloneMs)} + kubectl ${fmt(cold.peerApplyMs)}`,
    ratio: coldRatio,
    target: `≤ ${targets.coldRatio}×`,
    requests: `kube ${cold.kubeReads} reads / ${cold.kubeWrites} writes, ${cold.lists} LIST`,
    met: coldRatio <= targets.coldRatio,
  });
  if (step) {
    const ratio = step.gitcanaryMs / step.peerMs;
    rows.push({
      measurement: 'step (commit, push, apply)',
      canaries,
      gitcanary: fmt(step.gitcanaryMs),
      peer: `commit + push + kubectl ${fmt(step.peerMs)} (push ${fmt(step.peerPushMs)})`,
      ratio,
      target: `≤ ${targets.stepRatio}×`,
      requests: `git ${step.gitRequests}, kube ${step.kubeWrites} write(s)`,
      met: ratio <= targets.stepRatio,
    });
  }
  const blocks = [
    ['cold', cold.loopBlockMs],
    ['poll', noop?.loopBlockMs],
    ['step', step?.loopBlockMs],
  ].flatMap(([name, value]) => (typeof value === 'number' ? [`${name} ${fmt(value)}`] : []));
  const longestBlock = Math.max(noop?.loopBlockMs ?? 0, step?.loopBlockMs ?? 0);
  rows.push({
    measurement: 'longest event-loop block',
    canaries,
    gitcanary: blocks.join(', '),
    peer: '',
    ratio: undefined,
    target: `poll and step ≤ ${targets.loopBlockMs} ms`,
    requests: '',
    met: longestBlock <= targets.loopBlockMs,
  });
  rows.push({
    measurement: 'memory (peak RSS)',
    canaries,
    gitcanary: `${Math.round(memory.peakRssMiB)} MiB (holding ${Math.round(memory.holdRssMiB)}; plain node ${Math.round(memory.plainNodePeakRssMiB)})`,
    peer: `idle process ${Math.round(memory.idleRssMiB)} MiB`,
    ratio: undefined,
    target: `≤ ${targets.memoryMiB} MB`,
    requests: `sync ${fmt(memory.coldPassMs)}, poll ${fmt(memory.pollMs)}`,
    met: memory.peakRssMiB * 1.048576 <= targets.memoryMiB,
  });
  return rows;
}

export function markdownTable(rows: readonly Row[]): string {
  const header = [
    'measurement',
    'Canaries',
    'gitcanary (median)',
    'peer (median)',
    'ratio',
    'target',
    'requests',
    'met',
  ];
  const cells = rows.map((r) => [
    r.measurement,
    String(r.canaries),
    r.gitcanary,
    r.peer,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
    r.target,
    r.requests,
    r.met ? 'yes' : '**no**',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  git: string;
  kubectl: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

export function describeMachine(): Machine {
  const version = (command: string, args: string[]) => {
    try {
      return execFileSync(command, args, { encoding: 'utf8' }).trim().split('\n')[0] ?? '';
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    git: version('git', ['--version']),
    kubectl: version('kubectl', ['version', '--client']),
    loadAverageAtStart: loadavg().map((n) => Number(n.toFixed(2))),
  };
}
