import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import {
  emptyChangeSet,
  type CanaryOutcome,
  type ReconcileSummary,
} from '../../../src/reconcile/outcomes.js';

const pass = (canaries: CanaryOutcome[], commits: string[] = []): ReconcileSummary => ({
  head: 'abc',
  commits,
  changes: emptyChangeSet(),
  canaries,
  errors: [],
});

/** The value of one series in the exposition text, or undefined when it is absent. */
async function sample(metrics: DaemonMetrics, series: string): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('DaemonMetrics', () => {
  it('exposes each canary’s weight and a 0/1 series per phase', async () => {
    const metrics = new DaemonMetrics({ processMetrics: false });

    metrics.passSucceeded(
      pass([{ canary: 'demo/podinfo', phase: 'Progressing', weight: 20, revision: 'r' }]),
      0.2,
    );

    expect(await sample(metrics, 'gitcanary_canary_weight{namespace="demo",name="podinfo"}')).toBe(20);
    expect(
      await sample(metrics, 'gitcanary_canary_phase{namespace="demo",name="podinfo",phase="Progressing"}'),
    ).toBe(1);
    expect(
      await sample(metrics, 'gitcanary_canary_phase{namespace="demo",name="podinfo",phase="Succeeded"}'),
    ).toBe(0);
    expect(await sample(metrics, 'gitcanary_reconcile_duration_seconds_count')).toBe(1);
  });

  it('counts the Canaries of the pass by condition, and gives each one a 0/1 series per condition', async () => {
    const metrics = new DaemonMetrics({ processMetrics: false });
    metrics.passSucceeded(
      pass([
        { canary: 'demo/a', condition: 'Ready', phase: 'Progressing', weight: 10 },
        { canary: 'demo/b', condition: 'Retrying', reason: 'ApplyFailed', error: 'no answer' },
        { canary: 'demo/c', condition: 'Stalled', reason: 'HandEdited', error: 'edited by hand' },
        { canary: 'demo/d', condition: 'Stalled', reason: 'ManifestInvalid', error: 'bad' },
      ]),
      0.1,
    );

    expect(await sample(metrics, 'gitcanary_canaries{condition="ready"}')).toBe(1);
    expect(await sample(metrics, 'gitcanary_canaries{condition="retrying"}')).toBe(1);
    expect(await sample(metrics, 'gitcanary_canaries{condition="stalled"}')).toBe(2);
    expect(
      await sample(metrics, 'gitcanary_canary_condition{namespace="demo",name="c",condition="Stalled"}'),
    ).toBe(1);
    expect(
      await sample(metrics, 'gitcanary_canary_condition{namespace="demo",name="c",condition="Ready"}'),
    ).toBe(0);

    metrics.passSucceeded(
      pass([{ canary: 'demo/a', condition: 'Ready', phase: 'Progressing', weight: 20 }]),
      0.1,
    );

    expect(await sample(metrics, 'gitcanary_canaries{condition="stalled"}')).toBe(0);
    expect(
      await sample(metrics, 'gitcanary_canary_condition{namespace="demo",name="c",condition="Stalled"}'),
    ).toBeUndefined();
  });

  it('shows every condition at 0 before the first pass, so an alert on stalled has a series', async () => {
    const metrics = new DaemonMetrics({ processMetrics: false });

    expect(await sample(metrics, 'gitcanary_canaries{condition="stalled"}')).toBe(0);
  });

  it('keeps the last known series of a canary in error and drops those of a canary that is gone', async () => {
    const metrics = new DaemonMetrics({ processMetrics: false });
    metrics.passSucceeded(
      pass([
        { canary: 'demo/a', phase: 'Progressing', weight: 10 },
        { canary: 'demo/b', phase: 'Succeeded', weight: 0 },
      ]),
      0.1,
    );

    metrics.passSucceeded(pass([{ canary: 'demo/a', error: 'apps/a.yaml#1: spec: bad' }]), 0.1);

    expect(await sample(metrics, 'gitcanary_canary_weight{namespace="demo",name="a"}')).toBe(10);
    expect(await sample(metrics, 'gitcanary_canary_weight{namespace="demo",name="b"}')).toBeUndefined();
    expect(
      await sample(metrics, 'gitcanary_canary_phase{namespace="demo",name="b",phase="Succeeded"}'),
    ).toBeUndefined();
  });

  it('counts failed passes, commits and git operations with push conflicts', async () => {
    const metrics = new DaemonMetrics({ processMetrics: false });

    metrics.passFailed(1.5);
    metrics.passSucceeded(pass([], ['c1', 'c2']), 0.3);
    metrics.gitOperation('push', 'conflict', 0.05, 2);
    metrics.gitOperation('push', 'success', 0.05, 2);

    expect(await sample(metrics, 'gitcanary_reconcile_errors_total')).toBe(1);
    expect(await sample(metrics, 'gitcanary_commits_total')).toBe(2);
    expect(await sample(metrics, 'gitcanary_git_push_conflicts_total')).toBe(1);
    expect(await sample(metrics, 'gitcanary_git_operations_total{operation="push",result="success"}')).toBe(
      1,
    );
    expect(await sample(metrics, 'gitcanary_git_operation_duration_seconds_count{operation="push"}')).toBe(2);
    expect(await sample(metrics, 'gitcanary_git_http_requests_total')).toBe(4);
  });

  it('counts objects whose apply failed, and does not call such a pass a success', async () => {
    const metrics = new DaemonMetrics({ processMetrics: false });
    metrics.passSucceeded(pass([]), 0.1, 1_000_000);

    metrics.passSucceeded(
      {
        ...pass([]),
        changes: { ...emptyChangeSet(), failed: ['Service/demo/a-primary', 'Service/demo/a-canary'] },
      },
      0.1,
      2_000_000,
    );

    expect(await sample(metrics, 'gitcanary_apply_errors_total')).toBe(2);
    expect(await sample(metrics, 'gitcanary_reconcile_last_success_timestamp_seconds')).toBe(1_000);
  });

  it('counts GitOps notifications by target and result, each configured target starting at 0', async () => {
    const metrics = new DaemonMetrics({ processMetrics: false });
    metrics.gitopsTargets(['flux:flux-system/apps', 'argocd:argocd/podinfo']);

    metrics.gitopsNotification('flux:flux-system/apps', 'success');
    metrics.gitopsNotification('flux:flux-system/apps', 'failed');
    metrics.gitopsNotification('flux:flux-system/apps', 'failed');

    const series = (target: string, result: string) =>
      sample(metrics, `gitcanary_gitops_notifications_total{target="${target}",result="${result}"}`);
    expect(await series('flux:flux-system/apps', 'success')).toBe(1);
    expect(await series('flux:flux-system/apps', 'failed')).toBe(2);
    expect(await series('argocd:argocd/podinfo', 'failed')).toBe(0);
  });

  it('counts the objects restored after another field manager changed them, by that manager', async () => {
    const metrics = new DaemonMetrics({ processMetrics: false });
    const summary = pass([]);
    summary.changes.restored.push(
      { canary: 'demo/podinfo', object: 'Service/demo/podinfo-primary', managers: ['kustomize-controller'] },
      { canary: 'demo/podinfo', object: 'HTTPRoute/demo/podinfo', managers: ['kustomize-controller'] },
      { canary: 'demo/web', object: 'Service/demo/web-primary', managers: [] },
    );

    metrics.passSucceeded(summary, 0.1);

    expect(await sample(metrics, 'gitcanary_restored_objects_total{manager="kustomize-controller"}')).toBe(2);
    expect(await sample(metrics, 'gitcanary_restored_objects_total{manager="unknown"}')).toBe(1);
  });

  it('counts the fallbacks to isomorphic-git from the repository’s own counts, at each scrape', async () => {
    const metrics = new DaemonMetrics({ processMetrics: false });
    const counts = { objectFallbacks: 0, fetchFallbacks: 0 };
    metrics.countGitFallbacks(() => counts);
    const samples = async () => [
      await sample(metrics, 'gitcanary_git_object_fallbacks_total'),
      await sample(metrics, 'gitcanary_git_fetch_fallbacks_total'),
    ];
    expect(await samples()).toEqual([0, 0]);

    Object.assign(counts, { objectFallbacks: 3, fetchFallbacks: 1 });
    expect(await samples()).toEqual([3, 1]);
    counts.objectFallbacks = 5;
    expect(await samples()).toEqual([5, 1]);
    // Scraped again with nothing new: the counters stay where they are.
    expect(await samples()).toEqual([5, 1]);
  });
});
