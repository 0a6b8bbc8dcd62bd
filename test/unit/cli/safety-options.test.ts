import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  addReconcilerOptions,
  checkDeadlines,
  ConfigError,
  parseDeadline,
  type ReconcilerFlags,
} from '../../../src/cli/reconciler-config.js';

async function parse(args: string[]): Promise<ReconcilerFlags> {
  let seen: ReconcilerFlags | undefined;
  const command = addReconcilerOptions(new Command('test'))
    .exitOverride()
    .action((flags: ReconcilerFlags) => {
      seen = flags;
    });
  await command.parseAsync(args, { from: 'user' });
  if (!seen) throw new Error('the action did not run');
  return seen;
}

describe('the deadline options', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('default to 60 s for a git request, 15 s for a Kubernetes request and 2 min for a pass', async () => {
    expect(await parse([])).toMatchObject({ gitTimeout: 60_000, kubeTimeout: 15_000, passTimeout: 120_000 });
  });

  it('refuse a pass deadline that one request could outlast', () => {
    expect(() => checkDeadlines({ gitTimeout: 60_000, kubeTimeout: 15_000, passTimeout: 60_000 })).toThrow(
      /--pass-timeout must be longer/,
    );
    expect(() =>
      checkDeadlines({ gitTimeout: 60_000, kubeTimeout: 15_000, passTimeout: 61_000 }),
    ).not.toThrow();
  });

  it('read Go durations from flags and the environment', async () => {
    vi.stubEnv('GITCANARY_GIT_TIMEOUT', '1m30s');

    expect(await parse([])).toMatchObject({ gitTimeout: 90_000 });
    expect(await parse(['--git-timeout', '500ms'])).toMatchObject({ gitTimeout: 500 });
    expect(await parse(['--kube-timeout', '2s'])).toMatchObject({ kubeTimeout: 2_000 });
  });

  it.each(['0', '-5s', '10', 'soon'])('refuse %s', (value) => {
    expect(() => parseDeadline(value)).toThrow(ConfigError);
  });
});

describe('--allow-external-ips', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('is off unless asked for', async () => {
    expect(await parse([])).toMatchObject({ allowExternalIps: false });
    expect(await parse(['--allow-external-ips', 'true'])).toMatchObject({ allowExternalIps: true });
    vi.stubEnv('GITCANARY_ALLOW_EXTERNAL_IPS', 'true');
    expect(await parse([])).toMatchObject({ allowExternalIps: true });
  });
});
