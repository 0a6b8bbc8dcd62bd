import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  addReconcilerOptions,
  ConfigError,
  type ReconcilerFlags,
} from '../../../src/cli/reconciler-config.js';
import { buildProgram } from '../../../src/cli/program.js';

const dirs: string[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function parse(args: string[], config?: string): Promise<ReconcilerFlags> {
  const extra: string[] = [];
  if (config !== undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-notify-'));
    dirs.push(dir);
    await writeFile(join(dir, 'gitcanary.yaml'), config);
    extra.push('--config', join(dir, 'gitcanary.yaml'));
  }
  let seen: ReconcilerFlags | undefined;
  const command = addReconcilerOptions(new Command('test')).action((flags: ReconcilerFlags) => {
    seen = flags;
  });
  await command.parseAsync([...extra, ...args], { from: 'user' });
  if (!seen) throw new Error('the action did not run');
  return seen;
}

const flux = { tool: 'flux', namespace: 'flux-system', name: 'apps' };
const argo = { tool: 'argocd', namespace: 'argocd', name: 'podinfo' };

describe('--notify', () => {
  it('is empty by default', async () => {
    expect((await parse([])).notify).toEqual([]);
  });

  it('is repeatable, and a target named twice is asked once', async () => {
    const flags = await parse([
      '--notify',
      'flux:flux-system/apps',
      '--notify',
      'argocd:argocd/podinfo',
      '--notify',
      'flux:flux-system/apps',
    ]);

    expect(flags.notify).toEqual([flux, argo]);
  });

  it('comes from GITCANARY_NOTIFY as a comma-separated list', async () => {
    vi.stubEnv('GITCANARY_NOTIFY', 'flux:flux-system/apps, argocd:argocd/podinfo');

    expect((await parse([])).notify).toEqual([flux, argo]);
  });

  it('comes from the config file as a list', async () => {
    const flags = await parse([], 'notify:\n  - flux:flux-system/apps\n  - argocd:argocd/podinfo\n');

    expect(flags.notify).toEqual([flux, argo]);
  });

  it.each([
    ['no tool', 'flux-system/apps', /expected <tool>:<namespace>\/<name>/],
    ['an unknown tool', 'fleet:fleet-local/apps', /unknown tool "fleet" \(flux, argocd\)/],
    ['no namespace', 'flux:apps', /expected <tool>:<namespace>\/<name>/],
    ['a namespace that is no DNS label', 'flux:Flux_System/apps', /"Flux_System" is not a namespace name/],
    ['a name that is no object name', 'argocd:argocd/Pod Info', /"Pod Info" is not an object name/],
  ])('refuses %s as a configuration error', async (_, value, message) => {
    await expect(parse(['--notify', value])).rejects.toThrow(ConfigError);
    await expect(parse(['--notify', value])).rejects.toThrow(message);
  });

  it('refuses a bad value in the config file as a configuration error', async () => {
    await expect(parse([], 'notify: [flux-system/apps]\n')).rejects.toThrow(ConfigError);
  });

  it('stops `gitcanary reconcile` before it does anything (main turns a ConfigError into exit 2)', async () => {
    const program = buildProgram().exitOverride();

    await expect(
      program.parseAsync(['reconcile', '--repo', 'http://127.0.0.1:1/x.git', '--notify', 'nope'], {
        from: 'user',
      }),
    ).rejects.toThrow(ConfigError);
  });
});
