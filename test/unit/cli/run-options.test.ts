import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  leaseName,
  leaseNamespace,
  parseByteCount,
  parseListen,
  readWebhookSecret,
} from '../../../src/cli/commands/run.js';
import { ConfigError, parseShard } from '../../../src/cli/reconciler-config.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function file(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-run-'));
  dirs.push(dir);
  await writeFile(join(dir, 'f'), content);
  return join(dir, 'f');
}

describe('gitcanary run options', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    [':8080', { host: '', port: 8080 }],
    ['0.0.0.0:9090', { host: '0.0.0.0', port: 9090 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
  ])('reads --listen %s', (value, expected) => {
    expect(parseListen(value)).toEqual(expected);
  });

  it.each(['8080', '127.0.0.1', '::1:8080', 'host:70000', 'host:port'])('refuses --listen %s', (value) => {
    expect(() => parseListen(value)).toThrow(ConfigError);
  });

  it('reads --webhook-max-body-bytes as a whole number from 1 KiB to 25 MiB', () => {
    expect(parseByteCount('1048576')).toBe(1_048_576);
    for (const bad of ['1023', '26214401', '1MiB', '-5', '1e6', ''])
      expect(() => parseByteCount(bad)).toThrow(ConfigError);
  });

  it('reads the webhook secret from a file without its trailing newline, else from the variable', async () => {
    expect(readWebhookSecret(await file('s3cret\n'), 'ignored')?.toString()).toBe('s3cret');
    expect(readWebhookSecret(undefined, 'from-env')?.toString()).toBe('from-env');
    expect(readWebhookSecret(undefined, undefined)).toBeUndefined();
    expect(readWebhookSecret(undefined, '')).toBeUndefined();
  });

  it('refuses an empty or unreadable secret file rather than running without webhooks', async () => {
    const empty = await file('\n');
    expect(() => readWebhookSecret(empty, undefined)).toThrow(/is empty/);
    expect(() => readWebhookSecret('/nonexistent/secret', undefined)).toThrow(ConfigError);
  });

  it('takes the Lease namespace from the flag, else from the mounted service account', async () => {
    expect(leaseNamespace('ops', '/nonexistent')).toBe('ops');
    expect(leaseNamespace(undefined, await file('gitcanary-system\n'))).toBe('gitcanary-system');
    expect(() => leaseNamespace(undefined, '/nonexistent')).toThrow(ConfigError);
  });

  it('gives each shard a Lease of its own, and refuses a shard key no Lease or label can carry', () => {
    expect(leaseName(undefined)).toBe('gitcanary-leader');
    expect(leaseName('')).toBe('gitcanary-leader');
    expect(leaseName('east')).toBe('gitcanary-leader-east');
    expect(() => leaseName('East_1')).toThrow(/give --leader-election-name/);
    expect(parseShard('')).toBe('');
    expect(parseShard('East_1')).toBe('East_1');
    expect(() => parseShard('a/b')).toThrow(ConfigError);
    expect(() => parseShard('x'.repeat(64))).toThrow(ConfigError);
  });
});
