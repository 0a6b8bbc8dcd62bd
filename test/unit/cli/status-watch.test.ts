import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../../src/cli/commands/inspect.js';
import { watchStatus } from '../../../src/cli/status-watch.js';
import type { RepositoryStatus } from '../../../src/reconcile/read-status.js';
import type { Phase } from '../../../src/core/model.js';

const at = (weight: number, phase: Phase = 'Progressing'): RepositoryStatus => ({
  head: 'h',
  errors: [],
  canaries: [
    {
      canary: 'demo/podinfo',
      file: 'podinfo/canary.yaml',
      state: {
        phase,
        canaryWeight: weight,
        iteration: 0,
        failedChecks: 0,
        revision: 'r2',
        lastPromotedRevision: 'r1',
        lastStepTime: '2026-11-26T10:00:00.000Z',
        lastChecks: [],
      },
    },
    { canary: 'demo/other', file: 'other/canary.yaml' },
  ],
});

/** Runs the watch over `statuses`, one per tick, and returns what it wrote. */
async function watch(statuses: RepositoryStatus[], isTTY: boolean): Promise<string> {
  let out = '';
  let stop: (v?: unknown) => void = () => undefined;
  const stopped = new Promise((resolve) => (stop = resolve));
  let n = 0;
  await watchStatus({
    read: () => {
      const status = statuses[n++];
      if (n >= statuses.length) stop();
      return Promise.resolve(status ?? at(0));
    },
    format: formatStatus,
    output: { write: (text) => (out += text), isTTY },
    intervalMs: 1,
    clock: () => new Date('2026-11-26T10:05:00Z'),
    stop: stopped,
  });
  return out;
}

describe('status --watch', () => {
  it('prints a plain line per change when not on a terminal', async () => {
    const out = await watch([at(0), at(10), at(10), at(20), at(0, 'Succeeded')], false);

    expect(out.split('\n')).toEqual([
      '2026-11-26T10:05:00Z demo/podinfo Progressing 0% r2',
      '2026-11-26T10:05:00Z demo/other (not reconciled yet)',
      '2026-11-26T10:05:00Z demo/podinfo Progressing 10% r2',
      '2026-11-26T10:05:00Z demo/podinfo Progressing 20% r2',
      '2026-11-26T10:05:00Z demo/podinfo Succeeded 0% r2',
      '',
    ]);
    expect(out).not.toContain('\x1b[');
  });

  it('redraws the table in place on a terminal', async () => {
    const out = await watch([at(0), at(10)], true);
    const drawings = out.split('\x1b[5A\r\x1b[0J');

    expect(drawings).toHaveLength(2);
    expect(drawings[0]).toMatch(/^CANARY +PHASE +WEIGHT[^\n]*\ndemo\/podinfo +Progressing +0%/);
    expect(drawings[1]).toMatch(/demo\/podinfo +Progressing +10%/);
    expect(drawings[1]).toContain('updated 10:05:00Z · every 0.001 s · Ctrl-C to stop');
  });
});
