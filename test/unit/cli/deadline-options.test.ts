import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  addReconcilerOptions,
  ConfigError,
  parseDurationMs,
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

  it('default to a git request deadline of 60 s', async () => {
    expect(await parse([])).toMatchObject({ gitTimeout: 60_000 });
  });

  it('read Go durations from flags and the environment', async () => {
    vi.stubEnv('GITCANARY_GIT_TIMEOUT', '1m30s');

    expect(await parse([])).toMatchObject({ gitTimeout: 90_000 });
    expect(await parse(['--git-timeout', '500ms'])).toMatchObject({ gitTimeout: 500 });
  });

  it.each(['0', '-5s', '10', 'soon'])('refuse %s', (value) => {
    expect(() => parseDurationMs(value)).toThrow(ConfigError);
  });
});
