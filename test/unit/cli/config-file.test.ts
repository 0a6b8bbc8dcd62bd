import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  addReconcilerOptions,
  ConfigError,
  type ReconcilerFlags,
} from '../../../src/cli/reconciler-config.js';

describe('the --config file', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitcanary-config-'));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  async function parse(config: string, args: string[] = []): Promise<ReconcilerFlags> {
    const file = join(dir, 'gitcanary.yaml');
    await writeFile(file, config);
    let seen: ReconcilerFlags | undefined;
    const command = addReconcilerOptions(new Command('test')).action((flags: ReconcilerFlags) => {
      seen = flags;
    });
    await command.parseAsync(['--config', file, ...args], { from: 'user' });
    if (!seen) throw new Error('the action did not run');
    return seen;
  }

  it('fills the options nobody set, in kebab-case or camelCase, with lists and booleans', async () => {
    const flags = await parse(
      'repo: https://git.example.com/deploy.git\ndefault-namespace: apps\nnamespaces: [apps, web]\napply: false\nlogLevel: debug\n',
    );

    expect(flags).toMatchObject({
      repo: 'https://git.example.com/deploy.git',
      defaultNamespace: 'apps',
      namespaces: 'apps,web',
      apply: false,
      logLevel: 'debug',
      branch: 'main',
    });
  });

  it('gives way to a flag and to the environment', async () => {
    vi.stubEnv('GITCANARY_BRANCH', 'from-env');

    const flags = await parse('repo: https://a.example/x.git\nbranch: from-config\npath: from-config\n', [
      '--path',
      'from-flag',
    ]);

    expect(flags).toMatchObject({ branch: 'from-env', path: 'from-flag', repo: 'https://a.example/x.git' });
  });

  it.each([
    ['an unknown key', 'reop: https://a.example/x.git\n', /unknown option "reop"; known: repo, branch/],
    ['a bad boolean', 'apply: maybe\n', /apply: expected true or false, got "maybe"/],
    ['a file that is not a mapping', '- a\n- b\n', /expected a mapping of options/],
  ])('refuses %s with a clear error', async (_, config, message) => {
    await expect(parse(config)).rejects.toThrow(ConfigError);
    await expect(parse(config)).rejects.toThrow(message);
  });
});
