// The fault suite: releases on the real components (etcd and kube-apiserver of their own, so that the API
// server can be killed and frozen; the git server behind a proxy that fails on demand) while gitcanary, as
// OS processes, is killed, restarted, doubled and stopped. Whatever happens, git must say only what
// happened once: 0 double steps, 0 lost human commits, 0 force pushes, and every release completes once
// the outage is over. The figures are printed at the end, to be quoted.
import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureControlPlaneBinaries } from '../../harness/control-plane-binaries.js';
import { kubeConfigFor, startControlPlane } from '../../harness/control-plane.js';
import { startFaultyGitProxy } from '../support/faulty-git-proxy.js';
import { startGitServer } from '../../harness/git-server.js';
import type { GitcanaryProcess } from './support/gitcanary-process.js';
import { doubleSteps, forcePushes, missingSubjects, readHistory, steps } from './support/release-history.js';
import { ReleaseRig, scratchDir, seededRandom, sleep, type FaultWorld } from './support/release-rig.js';

const seed = Number(process.env.GITCANARY_FAULT_SEED ?? randomInt(1, 2 ** 31));
const progress = (line: string) => process.stderr.write(`[faults] ${line}\n`);

interface Figures {
  scenario: string;
  releases: number;
  steps: number;
  doubleSteps: number;
  humanCommits: number;
  lostHumanCommits: number;
  pushes: number;
  forcePushesAttempted: number;
  forcePushesAccepted: number;
  notes: string;
}
const figures: Figures[] = [];

let world: FaultWorld;
const rigs: ReleaseRig[] = [];

beforeAll(async () => {
  const started = performance.now();
  const binaries = await ensureControlPlaneBinaries(progress);
  const [controlPlane, gitServer] = await Promise.all([
    startControlPlane(binaries, progress),
    startGitServer(),
  ]);
  const proxy = await startFaultyGitProxy(gitServer.url);
  world = {
    controlPlane,
    gitServer,
    proxy,
    kc: kubeConfigFor(controlPlane),
    scratch: await scratchDir(tmpdir()),
  };
  progress(
    `seed ${seed} (GITCANARY_FAULT_SEED=${seed} replays it); components in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}, 180_000);

afterEach(async () => {
  for (const key of Object.keys(world.proxy.faults))
    delete world.proxy.faults[key as keyof typeof world.proxy.faults];
  await Promise.all(rigs.splice(0).map((rig) => rig.stopAll()));
});

afterAll(async () => {
  const total = (key: keyof Figures) => figures.reduce((sum, f) => sum + (f[key] as number), 0);
  const rows = figures.map(
    (f) =>
      `${f.scenario.padEnd(34)} ${String(f.releases).padStart(3)} ${String(f.steps).padStart(5)} ${String(f.doubleSteps).padStart(6)} ${String(f.humanCommits).padStart(6)} ${String(f.lostHumanCommits).padStart(5)} ${String(f.pushes).padStart(6)} ${String(f.forcePushesAttempted).padStart(6)}  ${f.notes}`,
  );
  console.log(
    [
      `fault suite, seed ${seed}`,
      `${'scenario'.padEnd(34)} rel steps double  human  lost pushes forced  notes`,
      ...rows,
      `${'total'.padEnd(34)} ${String(total('releases')).padStart(3)} ${String(total('steps')).padStart(5)} ${String(total('doubleSteps')).padStart(6)} ${String(total('humanCommits')).padStart(6)} ${String(total('lostHumanCommits')).padStart(5)} ${String(total('pushes')).padStart(6)} ${String(total('forcePushesAttempted')).padStart(6)}`,
    ].join('\n'),
  );
  await world?.proxy.stop();
  await world?.gitServer.stop();
  await world?.controlPlane.stop();
  if (world) await rm(world.scratch, { recursive: true, force: true });
}, 60_000);

async function newRig(name: string, webhooks?: string): Promise<ReleaseRig> {
  const rig = await ReleaseRig.create(world, name, webhooks);
  rigs.push(rig);
  return rig;
}

/** Checks git's history after a scenario and records its figures. */
async function verdict(rig: ReleaseRig, scenario: string, releases: number, notes: string): Promise<void> {
  const history = await readHistory(rig.bareDir);
  const doubles = doubleSteps(history);
  const lost = missingSubjects(history, rig.humanSubjects);
  const forced = await forcePushes(rig.bareDir);
  figures.push({
    scenario,
    releases,
    steps: steps(history).length,
    doubleSteps: doubles.length,
    humanCommits: rig.humanSubjects.length,
    lostHumanCommits: lost.length,
    pushes: forced.pushes,
    forcePushesAttempted: forced.attempted,
    forcePushesAccepted: forced.accepted,
    notes,
  });
  console.log(`${scenario}: ${notes}`);
  expect(doubles).toEqual([]);
  expect(lost).toEqual([]);
  expect(forced).toMatchObject({ attempted: 0, accepted: 0 });
}

/** Starts one replica and waits for its first initialization of the Canary. */
async function initialized(rig: ReleaseRig, replica = 'a', env: Record<string, string> = {}) {
  const gitcanary = await rig.start(replica, env);
  await rig.waitForStep('Initialized', (s) => s.trailers['Canary-Phase'] === 'Initialized');
  return gitcanary;
}

const isWeight = (weight: number) => (s: { trailers: Record<string, string> }) =>
  s.trailers['Canary-Phase'] === 'Progressing' && s.trailers['Canary-Weight'] === String(weight);

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('releases under faults', () => {
  it('survive kill -9 at 21 seeded points of three releases', async () => {
    const rig = await newRig('kill');
    const { proxy } = world;
    const random = seededRandom(seed);
    let gitcanary: GitcanaryProcess = await initialized(rig);
    const points: string[] = [];
    let releases = 0;
    for (const color of ['green', 'red', 'yellow', 'purple']) {
      if (points.length >= 21) break;
      await rig.release(color);
      releases += 1;
      let kills = 0;
      const deadline = performance.now() + 90_000;
      while (!(await rig.released())) {
        if (performance.now() > deadline) throw new Error(`release ${color} did not complete`);
        if (kills >= 7 || points.length >= 21) {
          await sleep(200);
          continue;
        }
        const step = (await rig.lastStep())?.subject.replace('podinfo: ', '') ?? 'none';
        const victim = gitcanary;
        const draw = random();
        let point: string;
        if (draw < 0.25) {
          // While it starts: fetching, listing the cluster, the first pass.
          const delay = Math.floor(100 + random() * 1_400);
          await sleep(delay);
          point = `starting +${delay} ms`;
        } else if (draw < 0.45) {
          // The moment a push reaches the forge (it lands all the same), or the moment its answer leaves:
          // gitcanary never learns whether its step was recorded.
          const moment = draw < 0.35 ? 'received' : 'answered';
          await waitFor('the loop to start', () => victim.logged('reconcile loop started').length > 0);
          const hit = new Promise<void>((resolve) => {
            proxy.faults.onPush = (at) => {
              if (at !== moment) return;
              process.kill(victim.pid, 'SIGKILL');
              resolve();
            };
          });
          const landed = await Promise.race([hit.then(() => true), sleep(5_000).then(() => false)]);
          delete proxy.faults.onPush;
          point = landed ? `at a push, ${moment} by the forge` : 'no push within 5 s, killed idle';
        } else {
          // Anywhere in a pass or between two, once the loop runs.
          await waitFor('the loop to start', () => victim.logged('reconcile loop started').length > 0);
          const delay = Math.floor(random() * 2_000);
          await sleep(delay);
          point = `running +${delay} ms`;
        }
        const log = victim.lines.at(-1)?.msg ?? 'nothing yet';
        await victim.kill('SIGKILL');
        points.push(`${point}; last step "${step}"; last log "${log}"`);
        kills += 1;
        gitcanary = await rig.start('a');
      }
      await rig.waitUntilReleased(color);
    }

    console.log(`kill -9 points (seed ${seed}):\n${points.map((p, i) => `  ${i + 1}. ${p}`).join('\n')}`);
    expect(points.length).toBeGreaterThanOrEqual(20);
    const repairs = rig.processes.reduce(
      (sum, p) =>
        sum + p.logged('local git store damaged; emptied it, the next poll fetches the branch again').length,
      0,
    );
    await verdict(
      rig,
      'kill -9 (seeded)',
      releases,
      `${points.length} kill -9s, ${releases} releases completed, ${repairs} torn stores found and fetched again`,
    );
  }, 300_000);

  it('survive the git server down, 500 before and after a push, and pushes held 10 s', async () => {
    const rig = await newRig('gitfault');
    const { proxy } = world;
    const gitcanary = await initialized(rig);
    await rig.release('green');
    await rig.waitForStep('the new revision', (s) => s.trailers['Canary-Phase'] === 'Progressing');

    const before = { ...proxy.counts };
    proxy.faults.down = true;
    await sleep(4_000);
    proxy.faults.down = false;
    proxy.faults.failPushBefore = true;
    await waitFor('two pushes failed before', () => proxy.counts.failedBefore >= before.failedBefore + 2);
    proxy.faults.failPushBefore = false;
    proxy.faults.failPushAfter = true;
    await waitFor(
      'two pushes failed after landing',
      () => proxy.counts.failedAfter >= before.failedAfter + 2,
    );
    proxy.faults.failPushAfter = false;
    proxy.faults.holdPushMs = 10_000;
    await waitFor('a held push', () => proxy.counts.held >= before.held + 1);
    proxy.faults.holdPushMs = 0;
    await rig.waitUntilReleased('green', 90_000);

    const failed = gitcanary.logged('reconcile failed; retrying at the next tick').length;
    await verdict(
      rig,
      'git down, 500 before/after, held 10 s',
      1,
      `${proxy.counts.refused - before.refused} connections refused, ${proxy.counts.failedBefore - before.failedBefore} pushes 500 before, ${proxy.counts.failedAfter - before.failedAfter} landed then 500, ${proxy.counts.held - before.held} held 10 s; ${failed} failed passes`,
    );
  }, 180_000);

  it('survive the API server frozen (SIGSTOP) and killed, with readiness telling', async () => {
    const rig = await newRig('apifault');
    const { apiserver } = world.controlPlane;
    // A pass deadline shorter than a frozen API server takes to fail one pass's requests (2 s each).
    const gitcanary = await initialized(rig, 'a', {
      GITCANARY_GIT_TIMEOUT: '2s',
      GITCANARY_PASS_TIMEOUT: '3s',
    });
    await rig.release('green');
    await rig.waitForStep('weight 10', isWeight(10));

    const sample = async (ms: number) => {
      const statuses: number[] = [];
      const until = performance.now() + ms;
      while (performance.now() < until) {
        statuses.push((await gitcanary.status('/readyz')).status);
        await sleep(250);
      }
      return statuses;
    };
    // Frozen first, while the release still has steps to apply: each pass's applies then hang until
    // their deadline, and the pass is abandoned at its own.
    process.kill(apiserver.pid, 'SIGSTOP');
    let whileFrozen: number[];
    try {
      whileFrozen = await sample(16_000);
    } finally {
      process.kill(apiserver.pid, 'SIGCONT');
    }
    const stepsBefore = steps(await rig.history()).length;
    await apiserver.kill();
    const whileDown = await sample(6_000);
    const stepsWhileDown = steps(await rig.history()).length - stepsBefore;
    await apiserver.start();
    await rig.waitUntilReleased('green', 90_000);

    const abandoned = gitcanary.logged('reconcile pass abandoned at its deadline').length;
    const longest = Math.max(0, ...gitcanary.logged('reconciled').map((l) => Number(l.durationMs)));
    expect(whileFrozen).toContain(503);
    expect(whileDown).toContain(503);
    expect(abandoned).toBeGreaterThanOrEqual(1);
    expect(longest).toBeLessThan(3_000 + 1_000);
    const unready = (s: number[]) => `${s.filter((x) => x === 503).length}/${s.length}`;
    await verdict(
      rig,
      'API server frozen, then killed',
      1,
      `/readyz 503 in ${unready(whileFrozen)} samples while frozen, ${unready(whileDown)} while killed; ${abandoned} passes abandoned at the 3 s deadline, longest pass ${longest} ms; ${stepsWhileDown} steps committed while the API server was down`,
    );
  }, 240_000);

  it('keep every human commit of a push storm', async () => {
    const rig = await newRig('storm');
    const gitcanary = await initialized(rig);
    await rig.release('green');
    for (let i = 0; i < 20; i += 1) {
      await rig.humanCommit({ [`notes/note-${i}.md`]: `note ${i}\n` }, `note ${i}`);
    }
    await rig.waitUntilReleased('green');

    const conflicts = gitcanary.logged('push rejected, re-planning on the new head').length;
    await verdict(
      rig,
      'human push storm (20 commits)',
      1,
      `${conflicts} gitcanary pushes lost the race and re-planned, ${rig.humanRetries} human pushes did`,
    );
  }, 120_000);

  it('hold with two replicas without leader election, killed at random', async () => {
    const rig = await newRig('twin');
    const random = seededRandom(seed + 1);
    const replicas = [await initialized(rig, 'a'), await rig.start('b')];
    let kills = 0;
    await rig.release('green');
    while (!(await rig.released())) {
      await sleep(500 + Math.floor(random() * 1_500));
      if (kills < 4) {
        const index = Math.floor(random() * 2);
        await replicas[index]?.kill('SIGKILL');
        replicas[index] = await rig.start(index === 0 ? 'a' : 'b');
        kills += 1;
      }
    }
    await rig.waitUntilReleased('green');

    const conflicts = rig.processes.reduce(
      (sum, p) => sum + p.logged('push rejected, re-planning on the new head').length,
      0,
    );
    await verdict(
      rig,
      'two replicas, no leader election',
      1,
      `${kills} kill -9s, ${conflicts} push races lost and re-planned`,
    );
  }, 120_000);

  it('hand over between two replicas with leader election when the leader is killed', async () => {
    const rig = await newRig('leader');
    const env = { GITCANARY_LEADER_ELECT: 'true', GITCANARY_LEADER_ELECTION_NAMESPACE: rig.ns };
    const a = await initialized(rig, 'a', env);
    const b = await rig.start('b', env);
    const leads = async (p: GitcanaryProcess) =>
      /^gitcanary_leader 1$/m.test((await p.status('/metrics')).text);
    await waitFor('b to follow', async () => (await b.status('/readyz')).status === 200);
    expect(await leads(a)).toBe(true);
    expect(await leads(b)).toBe(false);

    await rig.release('green');
    await rig.waitForStep('weight 10', isWeight(10));
    await a.kill('SIGKILL');
    const killed = performance.now();
    await waitFor('b to lead', () => leads(b), 30_000);
    const takeover = performance.now() - killed;
    await rig.waitUntilReleased('green');

    expect(b.logged('reconciled').length).toBeGreaterThan(0);
    await verdict(
      rig,
      'two replicas, leader election',
      1,
      `leader killed at weight 10; the follower led after ${(takeover / 1000).toFixed(1)} s (lease 15 s)`,
    );
  }, 120_000);

  it('stop within the shutdown deadline on SIGTERM during a pass, and refuse a second process on the workdir', async () => {
    const rig = await newRig('sigterm');
    const { proxy } = world;
    let gitcanary = await initialized(rig);
    await rig.release('green');
    const held = proxy.counts.held;
    proxy.faults.holdPushMs = 60_000;
    await waitFor('a push in flight', () => proxy.counts.held > held);

    const sent = performance.now();
    const exit = await gitcanary.kill('SIGTERM');
    const seconds = (exit.at - sent) / 1000;
    proxy.faults.holdPushMs = 0;
    expect(seconds).toBeLessThan(8 + 1);

    gitcanary = await rig.start('a');
    await waitFor('the restarted process to reconcile', () => gitcanary.logged('reconciled').length > 0);
    const second = await rig.start('a');
    const refused = await second.exited;
    expect(refused.code).toBe(2);
    expect(second.lines.some((l) => String(l.msg).includes('is in use by gitcanary process'))).toBe(true);
    await rig.waitUntilReleased('green');

    await verdict(
      rig,
      'SIGTERM during a held push',
      1,
      `exited ${exit.code === 0 ? '0' : String(exit.code ?? exit.signal)} ${seconds.toFixed(1)} s after SIGTERM (deadline 8 s); a second process on the workdir exited ${refused.code}`,
    );
  }, 120_000);

  it('exit at the shutdown deadline when what is in flight ignores the abort (a webhook that never answers)', async () => {
    // An HTTP server that takes requests and never answers: the pre-rollout hook waits its 30 s timeout.
    const silent = createServer(() => undefined);
    // On 127.0.0.2: 127.0.0.1 is the test API server's address, which the address policy always refuses.
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.2', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const rig = await newRig(
        'hang',
        `    webhooks:\n      - name: hang\n        type: pre-rollout\n        url: http://127.0.0.2:${port}/\n        timeout: 30s\n`,
      );
      // Loopback is refused to the repository's webhooks by default; this test's hook lives there.
      const gitcanary = await initialized(rig, 'a', { GITCANARY_WEBHOOK_ALLOW_CIDRS: '127.0.0.2/32' });
      const calls = new Promise<void>((resolve) => silent.once('request', () => resolve()));
      await rig.release('green');
      await calls;

      const sent = performance.now();
      const exit = await gitcanary.kill('SIGTERM');
      const seconds = (exit.at - sent) / 1000;

      expect(exit.code).toBe(1);
      expect(seconds).toBeGreaterThan(7.5);
      expect(seconds).toBeLessThan(8 + 1);
      expect(gitcanary.logged('shutdown deadline passed; exiting with work in flight')).toHaveLength(1);
      await verdict(
        rig,
        'SIGTERM, a webhook hanging',
        0,
        `exited ${String(exit.code)} ${seconds.toFixed(1)} s after SIGTERM, at the 8 s deadline, with the hook still in flight`,
      );
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  }, 60_000);
});
