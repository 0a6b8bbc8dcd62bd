import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import git, { Errors } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { createBareRepository } from '../../harness/git-server.js';

describe('the test git server', () => {
  const server = inject('gitServer');
  const onAuth = () => ({ username: server.username, password: server.password });
  const author = { name: 'gitcanary test', email: 'test@gitcanary.dev' };
  const dirs: string[] = [];

  async function workdir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-clone-'));
    dirs.push(dir);
    return dir;
  }

  async function commitFile(dir: string, path: string, content: string, message: string): Promise<string> {
    await writeFile(join(dir, path), content);
    await git.add({ fs, dir, filepath: path });
    return git.commit({ fs, dir, message, author });
  }

  async function seededRepository(): Promise<string> {
    const url = await createBareRepository(server, `repo-${Math.random().toString(36).slice(2, 8)}`);
    const dir = await workdir();
    await git.init({ fs, dir, defaultBranch: 'main' });
    await commitFile(dir, 'podinfo.yaml', 'kind: Service\n', 'add podinfo');
    await git.push({ fs, http, dir, url, ref: 'main', onAuth });
    return url;
  }

  /** Two clones of one repository; the first has pushed, the second has a commit on the old head. */
  async function twoWritersDiverged(): Promise<{ url: string; second: string }> {
    const url = await seededRepository();
    const [first, second] = [await workdir(), await workdir()];
    await git.clone({ fs, http, dir: first, url, ref: 'main', singleBranch: true, onAuth });
    await git.clone({ fs, http, dir: second, url, ref: 'main', singleBranch: true, onAuth });
    await commitFile(first, 'a.yaml', 'a: 1\n', 'first writer');
    await git.push({ fs, http, dir: first, url, ref: 'main', onAuth });
    await commitFile(second, 'b.yaml', 'b: 1\n', 'second writer');
    return { url, second };
  }

  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('refuses a client without credentials', async () => {
    const url = await seededRepository();

    await expect(git.getRemoteInfo({ http, url })).rejects.toBeInstanceOf(Errors.HttpError);
  });

  it('clones, commits and pushes over HTTP with Basic auth', async () => {
    const url = await seededRepository();
    const dir = await workdir();

    await git.clone({ fs, http, dir, url, ref: 'main', singleBranch: true, depth: 1, onAuth });
    const oid = await commitFile(dir, 'podinfo.yaml', 'kind: Service\nmetadata: {name: podinfo}\n', 'rename');
    const result = await git.push({ fs, http, dir, url, ref: 'main', onAuth });
    const remote = await git.listServerRefs({ http, url, prefix: 'refs/heads/main', onAuth });

    expect(result.ok).toBe(true);
    expect(remote.map((r) => r.oid)).toEqual([oid]);
    const check = await workdir();
    await git.clone({ fs, http, dir: check, url, ref: 'main', singleBranch: true, onAuth });
    expect(await readFile(join(check, 'podinfo.yaml'), 'utf8')).toContain('name: podinfo');
  });

  it('rejects a non-fast-forward push on the client side as PushRejectedError', async () => {
    const { url, second } = await twoWritersDiverged();

    const push = git.push({ fs, http, dir: second, url, ref: 'main', onAuth });

    await expect(push).rejects.toBeInstanceOf(Errors.PushRejectedError);
  });

  it('refuses a forced non-fast-forward push on the server side as GitPushError', async () => {
    const { url, second } = await twoWritersDiverged();

    const push = git.push({ fs, http, dir: second, url, ref: 'main', force: true, onAuth });

    await expect(push).rejects.toBeInstanceOf(Errors.GitPushError);
  });
});
