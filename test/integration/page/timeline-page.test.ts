// The timeline page in a real browser: Debian's Chromium, driven by playwright-core (which downloads
// nothing), with JavaScript off, following a release from weight 0 to promotion through the page's own
// refresh. Writes a screenshot: to docs/timeline.png with GITCANARY_UPDATE_SCREENSHOT=1 (the README's),
// else to the temporary directory.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { pino } from 'pino';
import { startDaemonServer } from '../../../src/daemon/http-server.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { pageView, timelinePage } from '../../../src/daemon/timeline-page.js';
import type { CheckResult } from '../../../src/core/model.js';
import { cloneHistory } from '../../../src/git/history-clone.js';
import {
  canary,
  clusterIpSpec,
  releaseCleanup,
  server,
  service,
  setup,
} from '../../support/release-fixture.js';

const chromiumPath = '/usr/bin/chromium';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await releaseCleanup();
});

async function browser(): Promise<BrowserContext> {
  if (!existsSync(chromiumPath))
    throw new Error(`${chromiumPath} is missing: apt-get install chromium (.ci/run does)`);
  const profile = await mkdtemp(join(tmpdir(), 'gitcanary-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    javaScriptEnabled: false,
    viewport: { width: 1600, height: 280 },
  });
  cleanups.push(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  return context;
}

describe('the timeline page', () => {
  it('shows a release move from weight 0 to promotion in Chromium, without JavaScript', async () => {
    const failing = { checks: [] as CheckResult[] };
    const s = await setup(
      (ns) => ({
        'apps/podinfo/service.yaml': service(ns, clusterIpSpec('blue')),
        'apps/podinfo/canary.yaml': canary(ns),
      }),
      { analyze: () => Promise.resolve({ checks: failing.checks, gates: {} }) },
    );
    const commitUrl = (sha: string) => `https://git.example.com/team/deploy/commit/${sha}`;
    const http = await startDaemonServer({
      host: '127.0.0.1',
      port: 0,
      metrics: new DaemonMetrics({ processMetrics: false }),
      readiness: () => ({ ready: true, reason: 'ok' }),
      onPush: () => Promise.resolve('queued'),
      logger: pino({ level: 'silent' }),
      page: timelinePage({
        repo: s.repo,
        view: pageView({
          repo: s.repo,
          reconciling: () => true,
          canaries: () => s.reconciler.resolvedCanaries(),
          root: '',
          parse: { defaultNamespace: 'default' },
          pollSeconds: 1,
        }),
        history: () => cloneHistory({ url: s.url, branch: 'main', depth: 100, auth: s.auth }),
        commitUrl,
        refreshSeconds: 1,
        clock: () => s.clock.now,
      }),
    });
    cleanups.push(() => http.close());
    const page = await (await browser()).newPage();
    const row = `tr[data-canary="${s.ns}/podinfo"]`;
    // The page reloads itself every second: a read that a reload cuts short ("Cannot find context with
    // specified id", "Execution context was destroyed") is made again on the page reloaded.
    const settled = async <T>(read: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await read();
        } catch (error) {
          if (attempt >= 20 || !/context|navigat|detached/i.test(String(error))) throw error;
          await delay(100);
        }
      }
    };
    const shows = async (phase: string, weight: number) => {
      // No reload from the test: the page's meta refresh brings each step.
      await page.waitForSelector(`${row}[data-phase="${phase}"][data-weight="${weight}"]`, {
        timeout: 15_000,
      });
      expect(await settled(() => page.textContent(`${row} td.weight`))).toBe(`${weight}%`);
    };
    const count = (selector: string) => settled(async () => (await page.$$(selector)).length);

    await s.reconcile(0);
    await page.goto(`${http.url}/`);
    await shows('Initialized', 0);
    // Polled: the page reloads itself every second, and a title read mid-reload is empty.
    await expect.poll(() => page.title(), { timeout: 5_000 }).toBe(`gitcanary · ${s.repo.displayUrl}`);

    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('green')) },
      'release green',
    );
    await s.reconcile(1);
    await shows('Progressing', 0);
    for (const [minute, weight] of [
      [2, 10],
      [3, 20],
      [4, 30],
    ] as const) {
      await s.reconcile(minute);
      await shows('Progressing', weight);
    }
    await s.reconcile(5);
    await shows('Succeeded', 0);

    // The chart: every step of the run a point, each a link to its commit, the promotion marked.
    const steps = (await s.human.log('%H %s'))
      .filter((l) => /podinfo: (new revision|weight|promot)/.test(l))
      .reverse();
    const attribute = (selector: string, name: string) =>
      settled(async () => Promise.all((await page.locator(selector).all()).map((l) => l.getAttribute(name))));
    const links = await attribute(`${row} svg .latest a`, 'href');
    expect(links).toEqual(steps.map((l) => commitUrl(l.slice(0, 40))));
    const weights = (await attribute(`${row} svg .latest circle`, 'data-weight')).map(Number);
    expect(weights).toEqual([0, 10, 20, 30, 30, 0, 0]);
    expect(await count(`${row} svg circle.promoted`)).toBe(1);

    // A second release that fails: the page shows the rollback, the chart both runs.
    await s.human.commitAndPush(
      { 'apps/podinfo/service.yaml': service(s.ns, clusterIpSpec('red')) },
      'release red',
    );
    await s.reconcile(6);
    await s.reconcile(7);
    failing.checks = [{ name: 'request-success-rate', value: 91.5, min: 99, passed: false }];
    await s.reconcile(8);
    await s.reconcile(9);
    await shows('Failed', 0);
    expect(await count(`${row} svg g.run`)).toBe(2);
    expect(await settled(() => page.textContent(`${row} ul.checks`))).toContain(
      '✗ request-success-rate 91.5',
    );

    // Nothing secret on the page: the git password never, the URL without credentials.
    expect(await settled(() => page.content())).not.toContain(server.password);

    const shot = process.env.GITCANARY_UPDATE_SCREENSHOT
      ? join('docs', 'timeline.png')
      : join(await mkdtemp(join(tmpdir(), 'gitcanary-shot-')), 'timeline.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
  });
});
