import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const runDemo = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', ...args], {
    timeout: 120_000,
  });

describe('npm run demo (the README’s first command)', () => {
  it('releases examples/podinfo end to end and ends with the git log of the release', async () => {
    const { stdout } = await runDemo();

    expect(stdout).toContain('first reconcile: Initialized, canary weight 0%');
    expect(stdout).toMatch(
      /one interval later \(\+1m\): Progressing, canary weight 10%\n {2}commit {2}podinfo: weight 0 → 10/,
    );
    expect(stdout).toMatch(/\$ git log[^\n]*\n(?: {2}\w{7} [^\n]+\n)+/);
    expect(stdout).toMatch(/ {2}\w{7} podinfo: promoted \w{12}\n/);
    expect(stdout).toMatch(
      /podinfo: weight 10 → 20 {3}\[request-success-rate=100 min=99 pass; request-duration=\d+ max=500 pass\]/,
    );
    expect(stdout).toContain('The release ended Succeeded.');
  });

  it('with --router traefik, sends real requests through Traefik at each step and prints a green share that follows the committed weights', async () => {
    const { stdout } = await runDemo('--router', 'traefik');

    const line =
      /traffic {4}committed primary (\d+) % → (\w+), canary (\d+) % → (\w+); (\d+) requests through Traefik: (\d+) green \(([\d.]+) %\)/g;
    const steps = [...stdout.matchAll(line)].map(
      ([, primary, primaryTo, canary, canaryTo, total, , share]) => ({
        // What the committed weights send to green, given where each Service's selector points.
        expected: (primaryTo === 'green' ? Number(primary) : 0) + (canaryTo === 'green' ? Number(canary) : 0),
        total: Number(total),
        observed: Number(share),
      }),
    );
    console.log(`[demo --router traefik] green share by step: ${JSON.stringify(steps)}`);

    // Initialized, analysis started, weights 10 to 50, promoted: green at 0, 0, 10…50, then 100.
    expect(steps.map((s) => s.expected)).toEqual([0, 0, 10, 20, 30, 40, 50, 100]);
    for (const step of steps) {
      expect(step.total).toBeGreaterThanOrEqual(400);
      expect(Math.abs(step.observed - step.expected)).toBeLessThanOrEqual(5);
    }
    expect(stdout).toContain('configured TraefikService/demo/podinfo');
    expect(stdout).toContain('The release ended Succeeded.');
  });

  it('refuses a router it cannot show, with a usage error', async () => {
    await expect(runDemo('--router', 'istio')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--router istio is not one of gatewayapi, traefik') as unknown,
    });
  });
});
