// The rows of the shard-contention scenario in the benchmark's table: for each size, one row per K, each
// beside the one process (K = 1) of the same size as its peer.
import type { Row } from './report.js';
import type { ShardResult } from './shard-contention.js';

const fmt = (ms: number) => (ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const latency = (r: ShardResult) => `p50 ${fmt(r.latency.p50)}, p99 ${fmt(r.latency.p99)}`;

export function shardRowsOf(results: readonly ShardResult[]): Row[] {
  return results.map((result) => {
    const single = results.find((r) => r.canaries === result.canaries && r.shards === 1);
    const peer = single && single !== result ? single : undefined;
    const { audit } = result;
    const lost = audit.lostSteps.length + audit.lostCommits.length;
    const doubled = audit.doubleSteps.length;
    return {
      measurement: `step latency, ${result.shards} shard${result.shards === 1 ? '' : 's'} (${result.due} due × ${result.rounds})`,
      canaries: result.canaries,
      gitcanary: latency(result),
      peer: peer ? `1 process: ${latency(peer)}` : '',
      ratio: peer ? result.latency.p99 / peer.latency.p99 : undefined,
      target: '0 double steps, 0 lost',
      requests:
        `${audit.steps}/${audit.expectedSteps} steps, ${doubled} double, ${lost} lost; ` +
        `${result.rejections} pushes rejected (${result.exhausted} passes gave up), ` +
        `person ${result.humanRejections} rejected; load ${result.loadAverage.end[0] ?? '?'}`,
      met:
        doubled === 0 &&
        lost === 0 &&
        audit.unexpected.length === 0 &&
        audit.unreported.length === 0 &&
        result.errors.length === 0,
    };
  });
}
