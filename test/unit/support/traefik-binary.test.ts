import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ensureTraefikBinary } from '../../../harness/traefik-binary.js';

describe('ensureTraefikBinary with TRAEFIK_BINARY', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'traefik-binary-'));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it('uses that binary and builds nothing', async () => {
    const path = join(dir, 'traefik');
    await writeFile(path, '#!/bin/sh\n', { mode: 0o755 });
    vi.stubEnv('TRAEFIK_BINARY', path);
    const progress = vi.fn();

    expect(await ensureTraefikBinary(progress)).toEqual({ path, source: 'TRAEFIK_BINARY' });
    expect(progress).not.toHaveBeenCalled();
  });

  it('fails naming the path when it is not an executable', async () => {
    const path = join(dir, 'traefik');
    await writeFile(path, 'not a program', { mode: 0o644 });
    vi.stubEnv('TRAEFIK_BINARY', path);

    await expect(ensureTraefikBinary(() => undefined)).rejects.toThrow(
      `TRAEFIK_BINARY=${path} is set but is missing or not executable`,
    );
  });
});
