import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMetricCredentials } from '../../../src/analysis/metric-credentials.js';

describe('readMetricCredentials', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitcanary-credentials-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Lays out files the way a Secret volume mounted at <dir>/<namespace>/<name> does. */
  async function mountSecret(namespace: string, name: string, data: Record<string, string>): Promise<void> {
    const folder = join(dir, namespace, name);
    await mkdir(folder, { recursive: true });
    for (const [key, value] of Object.entries(data)) await writeFile(join(folder, key), value);
  }

  it('reads a bearer token, without the trailing line break', async () => {
    await mountSecret('apps', 'prom-auth', { token: 's3cret\n' });

    expect(await readMetricCredentials(dir, 'apps', 'prom-auth')).toEqual({
      ok: true,
      auth: { token: 's3cret' },
    });
  });

  it('reads a username and password', async () => {
    await mountSecret('apps', 'prom-auth', { username: 'gitcanary', password: 'pw' });

    expect(await readMetricCredentials(dir, 'apps', 'prom-auth')).toEqual({
      ok: true,
      auth: { username: 'gitcanary', password: 'pw' },
    });
  });

  it('prefers the token when both are there, as Flagger does', async () => {
    await mountSecret('apps', 'prom-auth', { token: 't', username: 'u', password: 'p' });

    expect(await readMetricCredentials(dir, 'apps', 'prom-auth')).toEqual({ ok: true, auth: { token: 't' } });
  });

  it('keeps Secrets of the same name in different namespaces apart', async () => {
    await mountSecret('apps', 'prom-auth', { token: 'for-apps' });
    await mountSecret('payments', 'prom-auth', { token: 'for-payments' });

    expect(await readMetricCredentials(dir, 'payments', 'prom-auth')).toEqual({
      ok: true,
      auth: { token: 'for-payments' },
    });
  });

  it.each([
    [
      'a username without a password',
      { username: 'u' },
      /holds neither a token nor a password; mount the Secret there$/u,
    ],
    ['nothing mounted', undefined, /holds neither a token nor a username; mount the Secret there$/u],
  ])('fails with %s', async (_, data, reason) => {
    if (data) await mountSecret('apps', 'prom-auth', data);

    const result = await readMetricCredentials(dir, 'apps', 'prom-auth');

    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
    expect(!result.ok && result.reason).toContain(join(dir, 'apps', 'prom-auth'));
  });

  it('fails when no credentials directory is configured', async () => {
    expect(await readMetricCredentials(undefined, 'apps', 'prom-auth')).toEqual({
      ok: false,
      reason: 'secret apps/prom-auth is referenced, but no metrics credentials directory is set',
    });
  });

  it('never reads outside the directory', async () => {
    expect(await readMetricCredentials(dir, '..', 'prom-auth')).toEqual({
      ok: false,
      reason: 'secret ../prom-auth: not a valid Kubernetes name',
    });
  });
});
