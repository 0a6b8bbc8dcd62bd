import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('npm run demo (the README’s first command)', () => {
  it('releases examples/podinfo end to end and ends with the git log of the release', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      timeout: 120_000,
    });

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
});
