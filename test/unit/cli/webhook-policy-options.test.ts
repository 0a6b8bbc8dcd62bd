// The address policy and the analysis deadline as options: from flags, the environment and the config file,
// checked before anything starts, and refusing what they must when nobody set them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  addReconcilerOptions,
  ConfigError,
  createAddressPolicy,
  type ReconcilerFlags,
} from '../../../src/cli/reconciler-config.js';

const dirs: string[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function parse(args: string[], config?: string): Promise<ReconcilerFlags> {
  const extra: string[] = [];
  if (config !== undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-policy-'));
    dirs.push(dir);
    await writeFile(join(dir, 'config.yaml'), config);
    extra.push('--config', join(dir, 'config.yaml'));
  }
  let seen: ReconcilerFlags | undefined;
  const command = addReconcilerOptions(new Command('test')).action((flags: ReconcilerFlags) => {
    seen = flags;
  });
  await command.parseAsync([...extra, ...args], { from: 'user' });
  if (!seen) throw new Error('the action did not run');
  return seen;
}

describe('the address policy and deadline options', () => {
  it('reads lists from a flag, the environment and the config file', async () => {
    vi.stubEnv('GITCANARY_WEBHOOK_DENY_CIDRS', '10.9.0.0/16, 192.0.2.0/24');

    const flags = await parse(
      ['--webhook-allow-cidrs', '127.0.0.1/32,10.0.0.0/8'],
      'webhook-allow-hosts: [hooks.example.com, "*.loadtest.svc"]\nanalysis-deadline: 90s\n',
    );

    expect(flags).toMatchObject({
      webhookAllowCidrs: ['127.0.0.1/32', '10.0.0.0/8'],
      webhookDenyCidrs: ['10.9.0.0/16', '192.0.2.0/24'],
      webhookAllowHosts: ['hooks.example.com', '*.loadtest.svc'],
      analysisDeadline: 90_000,
    });
  });

  it('gives each Canary 60 s when no deadline is set', async () => {
    expect((await parse([])).analysisDeadline).toBe(60_000);
  });

  it.each([
    [['--webhook-allow-cidrs', '10.0.0.0/33'], /prefix length must be 0 to 32/u],
    [['--webhook-deny-cidrs', 'metadata.internal'], /is not an address range/u],
    [['--analysis-deadline', '0s'], /above zero/u],
    [['--analysis-deadline', 'soon'], /invalid duration/u],
  ])('stops at %j with a clear error', async (args, message) => {
    await expect(parse(args)).rejects.toThrow(ConfigError);
    await expect(parse(args)).rejects.toThrow(message);
  });

  it('refuses link-local, loopback and the API server when nothing is set', async () => {
    const policy = await createAddressPolicy({}, 'https://10.96.0.1:443');

    expect(policy.checkAddress('169.254.169.254')).toMatch(/link-local/u);
    expect(policy.checkAddress('127.0.0.1')).toMatch(/loopback/u);
    expect(policy.checkAddress('10.96.0.1')).toMatch(/API server/u);
    expect(policy.checkAddress('10.96.0.2')).toBeUndefined();
  });

  it('refuses a bad host pattern as configuration', async () => {
    await expect(createAddressPolicy({ webhookAllowHosts: ['hooks example'] }, undefined)).rejects.toThrow(
      ConfigError,
    );
  });
});
