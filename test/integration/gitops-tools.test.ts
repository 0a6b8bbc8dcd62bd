// Issue 13, "Done when": Flux and Argo CD applying the app folder beside gitcanary, emulated as each tool
// applies (test/support/gitops-emulator.ts: the real kustomize, server-side apply as kustomize-controller or
// argocd-controller with forced ownership, prune, Argo CD's annotation and label tracking), against the real
// API server, for a whole release in default mode (gitcanary applies too) and in commit-only mode (only the
// tool applies, asked to sync by --notify), for the gatewayapi and kubernetes providers.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  canaryFile,
  generatedFile,
  GitOpsRelease,
  gitopsCleanup,
  installGitcanaryCrds,
  intervalSeconds,
  isSubsequence,
  judgedSteps,
  stateOf,
  withoutRepeats,
  type Provider,
  type RunOptions,
} from '../support/gitops-release.js';
import type { ArgoTracking, Tool } from '../support/gitops-emulator.js';
import { formatStatus } from '../../src/cli/commands/inspect.js';
import { readStatus } from '../../src/reconcile/read-status.js';

beforeAll(installGitcanaryCrds);
afterEach(gitopsCleanup);

/** Seconds of simulated time a release may take before the test gives up. */
const horizon = 20 * 60;

/** Initializes, lets the tool apply it, releases green and runs until the release succeeded (or the horizon). */
async function release(options: RunOptions): Promise<GitOpsRelease> {
  const run = await GitOpsRelease.start(options);
  await run.runUntil(10);
  await run.releaseGreen();
  await run.runUntil(horizon, async () => (await run.phase()) === 'Succeeded' && (await synced(run)));
  return run;
}

/** The tool has applied the head of the branch. */
async function synced(run: GitOpsRelease): Promise<boolean> {
  return run.tool.lastRevision !== undefined && run.tool.lastRevision === (await run.tool.fetch());
}

interface Emulated {
  name: string;
  tool: Tool;
  tracking?: ArgoTracking;
}
const flux: Emulated = { name: 'Flux', tool: 'flux' };
const argoAnnotation: Emulated = {
  name: 'Argo CD (annotation tracking)',
  tool: 'argocd',
  tracking: 'annotation',
};
const argoLabel: Emulated = { name: 'Argo CD (label tracking)', tool: 'argocd', tracking: 'label' };
const tools = [flux, argoAnnotation, argoLabel];

// Every provider with Flux and Argo CD's default tracking; label tracking differs only in marks and prune.
const matrix: (Emulated & { provider: Provider })[] = [
  { ...flux, provider: 'gatewayapi' },
  { ...flux, provider: 'kubernetes' },
  { ...argoAnnotation, provider: 'gatewayapi' },
  { ...argoAnnotation, provider: 'kubernetes' },
  { ...argoLabel, provider: 'gatewayapi' },
];

/** A whole release on a loaded two-core machine takes tens of seconds. */
const releaseTimeout = 240_000;

/** Rows for `each` with the name first, so `%s` prints it bare. */
const named = <T extends { name: string }>(items: T[]) => items.map((item) => [item.name, item] as const);

describe.each(named(matrix))('%s applying the app folder beside gitcanary', (_name, emulated) => {
  const { tool, tracking, provider } = emulated;
  const base = { tool, ...(tracking ? { tracking } : {}), provider };

  it(
    `provider ${provider}, default mode: a release with no conflict, no value reverted, every step judged a full interval after it went live`,
    async () => {
      const run = await release({ ...base, applies: true });

      await expectReleaseSucceeded(run);
      expect(run.tool.syncs.flatMap((sync) => sync.conflicts)).toEqual([]);
      expect(run.reapplyConflicts).toEqual([]);
      // gitcanary applies each step as it commits it: after each of its passes the cluster holds the head.
      expect(run.notAtHead).toEqual([]);
      await expectForwardOnly(run);
      await expectFullIntervals(run);
      await expectQuietAtRest(run);
    },
    releaseTimeout,
  );

  it(
    `provider ${provider}, commit-only mode with --notify: only the tool applies, asked at each push, every step judged a full interval after it went live`,
    async () => {
      const run = await release({ ...base, applies: false, notify: true });

      await expectReleaseSucceeded(run);
      expect(run.tool.syncs.flatMap((sync) => sync.conflicts)).toEqual([]);
      expect(run.reapplyConflicts).toEqual([]);
      expect(run.s.cluster.stats.writes).toBe(0);
      await expectForwardOnly(run);
      await expectFullIntervals(run);
      // Asked by the annotation, the tool applied every gitcanary commit at the tick it was pushed.
      const ours = (await run.history()).filter((c) => c.author === 'gitcanary');
      const syncTimes = new Set(run.tool.syncs.map((sync) => sync.at.getTime() / 1000));
      expect(ours.filter((c) => !syncTimes.has(c.time)).map((c) => c.subject)).toEqual([]);
      if (provider === 'gatewayapi')
        expect((await run.history()).map((c) => c.subject)).toContain(
          'podinfo: weight 10 live in the cluster',
        );
      await expectQuietAtRest(run);
    },
    releaseTimeout,
  );
});

describe("a target labelled with Argo CD's tracking label", () => {
  it(
    'Argo CD (label tracking), default mode: the label is not copied, so neither writes at rest and nothing conflicts',
    async () => {
      const run = await release({
        ...argoLabel,
        provider: 'gatewayapi',
        applies: true,
        targetLabels: { 'app.kubernetes.io/instance': 'podinfo-web' },
      });

      await expectReleaseSucceeded(run);
      expect(run.tool.syncs.flatMap((sync) => sync.conflicts)).toEqual([]);
      expect(run.notAtHead).toEqual([]);
      await expectQuietAtRest(run);
      const primary = await run.kube.get({
        apiVersion: 'v1',
        kind: 'Service',
        namespace: run.ns,
        name: 'podinfo-primary',
      });
      expect(primary?.metadata.labels?.['app.kubernetes.io/instance']).toBe('podinfo');
    },
    releaseTimeout,
  );
});

describe('an app folder with its own kustomization.yaml', () => {
  const kustomization = [
    '# podinfo, as Flux and Argo CD build it',
    'resources:',
    '  - service.yaml',
    '  - canary.yaml # the Canary itself',
    '',
  ].join('\n');

  it.each(named([flux, argoAnnotation]))(
    '%s in commit-only mode: the first commit lists the generated file in it, comments kept, and the release goes through',
    async (_name, { tool, tracking }) => {
      const run = await release({
        tool,
        ...(tracking ? { tracking } : {}),
        provider: 'gatewayapi',
        applies: false,
        notify: true,
        extraFiles: { 'kustomization.yaml': kustomization },
      });

      await expectReleaseSucceeded(run);
      await expectFullIntervals(run);
      expect(await run.s.human.show('apps/podinfo/kustomization.yaml')).toBe(
        `${kustomization}  - podinfo.gitcanary.yaml\n`,
      );
      const [first] = (await run.history()).filter((c) => c.author === 'gitcanary');
      const changed = await run.changedFiles(first?.sha ?? '');
      expect(changed).toEqual(['apps/podinfo/kustomization.yaml', 'apps/podinfo/podinfo.gitcanary.yaml']);
    },
    releaseTimeout,
  );
});

describe('a tool that applies the previous revision (stale-revision lag)', () => {
  // Flux and Argo CD's default tracking, for both providers: the revert hits the route's weights (gatewayapi)
  // or only the Services' selectors (kubernetes).
  const lagging = named(matrix.filter((row) => row.tracking !== 'label')).map(
    ([name, row]) => [`${name}, provider ${row.provider}`, row] as const,
  );

  it.each(lagging)(
    '%s, commit-only mode: the cluster only moves forward, and each step is judged a full interval after it went live',
    async (_name, { tool, tracking, provider }) => {
      const run = await release({
        tool,
        ...(tracking ? { tracking } : {}),
        provider,
        applies: false,
        lag: true,
      });

      await expectReleaseSucceeded(run);
      expect(run.tool.syncs.flatMap((sync) => sync.conflicts)).toEqual([]);
      await expectForwardOnly(run);
      await expectFullIntervals(run);
    },
    releaseTimeout,
  );

  it.each(lagging)(
    '%s, default mode: every step the tool reverts is restored at the next pass, counted, named in an Event and in status',
    async (_name, { tool, tracking, provider }) => {
      const run = await release({
        tool,
        ...(tracking ? { tracking } : {}),
        provider,
        applies: true,
        lag: true,
      });

      await expectReleaseSucceeded(run);
      // The stale applies did happen, and were forced through as the tool does.
      expect(run.tool.syncs.flatMap((sync) => sync.conflicts)).not.toEqual([]);
      // No reverted value sticks: after each of gitcanary's passes the cluster holds the head again.
      expect(run.notAtHead).toEqual([]);
      expect(run.restored.length).toBeGreaterThan(0);
      expect(new Set(run.restored.flatMap((r) => r.managers))).toEqual(new Set([run.tool.fieldManager]));
      const events = await run.events('Restored');
      expect(events.length).toBeGreaterThan(0);
      for (const message of events) expect(message).toContain(`"${run.tool.fieldManager}"`);
      // Each restoration is committed, so `gitcanary status` (git alone) names who reverted the step.
      const restorations = (await run.history()).filter((c) => c.subject.startsWith('podinfo: restored '));
      expect(restorations.length).toBeGreaterThan(0);
      for (const c of restorations) expect(c.subject).toContain(`: reverted by ${run.tool.fieldManager} at `);
      const status = formatStatus(await readStatus(run.s.repo, '', 'default'));
      expect(status).toMatch(new RegExp(`restored [^:]+: reverted by ${run.tool.fieldManager} at \\S+Z`));
      await expectFullIntervals(run);
    },
    releaseTimeout,
  );
});

// Issue 13 part 6: a Canary removed from git, mid-release, with each tool applying and pruning the folder. Only
// gitcanary deletes the generated objects (default mode: in commit-only mode the tool prunes them alone); the
// tool prunes what it applied itself (the Canary, the CanaryState).
describe('removal of a Canary from git, mid-release', () => {
  /** Initialized, released green, and run until a canary weight of 20 is live. */
  async function midRelease(options: RunOptions): Promise<GitOpsRelease> {
    const run = await GitOpsRelease.start(options);
    await run.runUntil(10);
    await run.releaseGreen();
    await run.runUntil(horizon, async () => {
      const live = JSON.parse(await run.liveState()) as { weights?: number[] };
      return (live.weights?.[1] ?? 0) >= 20;
    });
    expect(await run.phase()).toBe('Progressing');
    return run;
  }

  /** Runs a few of the tool's intervals after a person's change. */
  const settle = (run: GitOpsRelease) => run.runUntil(run.now + 120);

  const pruned = (run: GitOpsRelease) => run.tool.syncs.flatMap((sync) => sync.pruned).sort();

  describe.each(named(tools))('with %s pruning', (_name, { tool, tracking }) => {
    const base = { tool, ...(tracking ? { tracking } : {}), provider: 'gatewayapi' as const };

    it.each([
      ['default mode', true],
      ['commit-only mode', false],
    ])(
      'Canary deleted, generated file kept (%s): traffic back to 100% primary, committed once and reported, nothing deleted',
      async (_mode, applies) => {
        const run = await midRelease({ ...base, applies, notify: !applies });
        const mark = await run.deletionMark();

        await run.s.human.deleteAndPush([canaryFile], 'drop the canary');
        await settle(run);

        const subjects = (await run.history()).map((c) => c.subject);
        expect(subjects.filter((s) => s === 'podinfo: canary removed, traffic to primary')).toHaveLength(1);
        expect(JSON.parse(await run.liveState())).toEqual({
          primary: 'podinfo-blue',
          canary: 'podinfo-blue',
          weights: [100, 0],
        });
        expect(run.outcomes).toContainEqual(
          expect.objectContaining({ canary: `${run.ns}/podinfo`, waiting: 'canary removed from git' }),
        );
        // The tool prunes the Canary it applied, and keeps applying the generated file it still has.
        expect(pruned(run)).toEqual([`Canary/${run.ns}/podinfo`]);
        expect(run.deleted).toEqual([]);
        expect(await run.deletionsSince(mark)).toEqual([]);
        await expectTargetServing(run);
        await expectQuietAtRest(run);
      },
      releaseTimeout,
    );

    it(
      'Canary and generated file deleted (default mode): gitcanary deletes exactly what it applied, the route first, and the tool prunes only its own',
      async () => {
        const run = await midRelease({ ...base, applies: true });
        const mark = await run.deletionMark();

        await run.s.human.deleteAndPush([canaryFile, generatedFile], 'drop the canary and its file');
        await settle(run);

        expectInventoryDeleted(run, run.deleted);
        expectInventoryDeleted(run, await run.deletionsSince(mark));
        expect(pruned(run)).toEqual([`Canary/${run.ns}/podinfo`, `CanaryState/${run.ns}/podinfo`]);
        // Nothing written back: the removal is the person's, and gitcanary commits nothing for it.
        await expect(run.s.human.show(generatedFile)).rejects.toThrow();
        expect((await run.history()).at(-1)?.subject).toBe('drop the canary and its file');
        expect(await run.liveState()).toBe(stateOf([], 'gatewayapi'));
        await expectTargetServing(run);
        await expectQuietAtRest(run);
      },
      releaseTimeout,
    );

    it(
      'spec.revertOnDeletion (default mode): the generated file and objects are deleted, the route first, and the tool prunes only its own',
      async () => {
        const run = await midRelease({ ...base, applies: true, revertOnDeletion: true });
        const mark = await run.deletionMark();

        await run.s.human.deleteAndPush([canaryFile], 'drop the canary');
        await settle(run);

        expect((await run.history()).at(-1)?.subject).toBe(
          'podinfo: canary removed, the objects it generated deleted (revertOnDeletion)',
        );
        await expect(run.s.human.show(generatedFile)).rejects.toThrow();
        expectInventoryDeleted(run, run.deleted);
        expectInventoryDeleted(run, await run.deletionsSince(mark));
        expect(pruned(run)).toEqual([`Canary/${run.ns}/podinfo`, `CanaryState/${run.ns}/podinfo`]);
        expect(await run.liveState()).toBe(stateOf([], 'gatewayapi'));
        await expectTargetServing(run);
        await expectQuietAtRest(run);
      },
      releaseTimeout,
    );
  });

  /** The route, then the Services it sent traffic to: never a route left pointing at a Service that is gone. */
  function expectInventoryDeleted(run: GitOpsRelease, deleted: string[]): void {
    expect(deleted).toEqual([
      `HTTPRoute/${run.ns}/podinfo`,
      `Service/${run.ns}/podinfo-canary`,
      `Service/${run.ns}/podinfo-primary`,
    ]);
  }

  /** The app's own Service, the person's, is untouched: in-cluster clients still reach the released pods. */
  async function expectTargetServing(run: GitOpsRelease): Promise<void> {
    const target = await run.kube.get({
      apiVersion: 'v1',
      kind: 'Service',
      namespace: run.ns,
      name: 'podinfo',
    });
    expect((target?.spec as { selector?: unknown } | undefined)?.selector).toEqual({ app: 'podinfo-green' });
  }
});

async function expectReleaseSucceeded(run: GitOpsRelease): Promise<void> {
  expect(await run.phase()).toBe('Succeeded');
  // A restoration (default mode, a stale applier) may be committed after the promotion.
  const subjects = (await run.history())
    .map((c) => c.subject)
    .filter((subject) => !subject.startsWith('podinfo: restored '));
  expect(subjects.at(-1)).toMatch(/^podinfo: promoted [0-9a-f]{12}$/);
  const live = JSON.parse(await run.liveState()) as { primary: string; canary: string; weights?: number[] };
  expect(live).toMatchObject({ primary: 'podinfo-green', canary: 'podinfo-green' });
  if (run.options.provider === 'gatewayapi') expect(live.weights).toEqual([100, 0]);
}

/** The live objects only ever moved forward through the committed states: nothing went back to an older one. */
async function expectForwardOnly(run: GitOpsRelease): Promise<void> {
  const committed = withoutRepeats(
    (await run.history()).map((c) => c.state).filter((s): s is string => s !== undefined),
  );
  // Before the first apply nothing is there; any other live state must be a committed one.
  const nothing = stateOf([], run.options.provider);
  const live = withoutRepeats(run.samples.map((s) => s.state).filter((s) => s !== nothing));
  expect(isSubsequence(live, committed), `live ${live.join(' → ')}\ncommitted ${committed.join(' → ')}`).toBe(
    true,
  );
}

/** Every timed step was committed at least one analysis interval after what it judged went live. */
async function expectFullIntervals(run: GitOpsRelease): Promise<void> {
  const steps = judgedSteps(await run.history(), run.samples);
  expect(steps.length).toBeGreaterThanOrEqual(run.options.provider === 'gatewayapi' ? 4 : 3);
  expect(steps.filter((step) => step.liveFor < intervalSeconds)).toEqual([]);
}

/** At rest, neither the tool nor gitcanary writes anything. */
async function expectQuietAtRest(run: GitOpsRelease): Promise<void> {
  const writes = run.s.cluster.stats.writes;
  const sync = await run.tool.sync();
  const pass = await run.s.reconciler.reconcileOnce();
  expect(sync.written).toEqual([]);
  expect(sync.pruned).toEqual([]);
  expect(pass.commits).toEqual([]);
  expect(run.s.cluster.stats.writes).toBe(writes);
}
