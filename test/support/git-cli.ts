// The git CLI as an independent party in the git tests: it seeds repositories on the test git server,
// writes as "another writer", and reads back what gitcanary pushed, so no assertion trusts the
// isomorphic-git code under test. Writers go through the file system; reads can go over HTTP.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createBareRepository, type GitServerAccess } from '../../harness/git-server.js';

const execFileAsync = promisify(execFile);

// Keep the developer's own git configuration (hooks, signing, default branch) out of the tests.
const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const identity = ['-c', 'user.name=Other Writer', '-c', 'user.email=other@example.test'];

export async function gitCli(
  args: string[],
  cwd?: string,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const { stdout } = await execFileAsync('git', [...identity, ...args], {
    cwd,
    env: { ...env, ...extraEnv },
  });
  return stdout;
}

export interface ServerRepository {
  /** HTTP URL on the test server. */
  url: string;
  /** The bare repository the server serves, for writers and checks that bypass HTTP. */
  bareDir: string;
}

/** A new repository on the test server whose `main` holds `files` in one commit. */
export async function createSeededRepository(
  access: GitServerAccess,
  files: Record<string, string>,
  message = 'seed',
): Promise<ServerRepository> {
  const name = `repo-${Math.random().toString(36).slice(2, 10)}`;
  const url = await createBareRepository(access, name);
  const bareDir = join(access.root, `${name}.git`);
  await commitWithCli(bareDir, files, message);
  return { url, bareDir };
}

/** Clones `bareDir`, applies `files` (null deletes), commits and pushes to main; returns the new head. */
export async function commitWithCli(
  bareDir: string,
  files: Record<string, string | null>,
  message: string,
): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'gitcanary-writer-'));
  try {
    const hasMain = (await gitCli(['--git-dir', bareDir, 'branch', '--list', 'main'])).trim() !== '';
    if (hasMain) await gitCli(['clone', '--quiet', '--branch', 'main', bareDir, work]);
    else await gitCli(['init', '--quiet', '--initial-branch=main', work]);
    for (const [path, content] of Object.entries(files)) {
      if (content === null) {
        await gitCli(['rm', '--quiet', path], work);
      } else {
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), content);
        await gitCli(['add', path], work);
      }
    }
    await gitCli(['commit', '--quiet', '--allow-empty', '-m', message], work);
    await gitCli(['push', '--quiet', bareDir, 'HEAD:refs/heads/main'], work);
    return (await gitCli(['rev-parse', 'HEAD'], work)).trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Every file at the head of `main` with its content, read with the git CLI. */
export async function filesAtHead(gitDir: string, ref = 'main'): Promise<Record<string, string>> {
  const names = (await gitCli(['--git-dir', gitDir, 'ls-tree', '-r', '--name-only', '-z', ref]))
    .split('\0')
    .filter((name) => name !== '');
  const files: Record<string, string> = {};
  for (const name of names) files[name] = await gitCli(['--git-dir', gitDir, 'show', `${ref}:${name}`]);
  return files;
}

/** Subjects of the commits on `main`, newest first. */
export async function logSubjects(gitDir: string, ref = 'main'): Promise<string[]> {
  const out = await gitCli(['--git-dir', gitDir, 'log', '--format=%s', ref]);
  return out.split('\n').filter((line) => line !== '');
}

/** A bare clone made by the git CLI over HTTP with Basic auth: what any other client would see. */
export async function cloneOverHttp(access: GitServerAccess, url: string, into: string): Promise<string> {
  const basic = Buffer.from(`${access.username}:${access.password}`).toString('base64');
  const dir = await mkdtemp(join(into, 'clone-'));
  await gitCli([
    '-c',
    `http.extraHeader=Authorization: Basic ${basic}`,
    'clone',
    '--quiet',
    '--bare',
    url,
    dir,
  ]);
  return dir;
}

/**
 * `versions` commits of `count` near-identical Service files (every version changes some of them), plus
 * `extra(version)`'s files: a history git packs mostly as deltas, chained. For the object reader's and the
 * pack indexer's tests.
 */
export async function commitDeltaHistory(
  gitDir: string,
  count: number,
  versions: number,
  extra: (version: number) => Record<string, string> = () => ({}),
): Promise<void> {
  const service = (i: number, version: number) =>
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: app-${i}\n  labels:\n    version: v${version}\nspec:\n  ports:\n    - port: 9898\n`;
  for (let version = 1; version <= versions; version += 1) {
    const files: Record<string, string> = extra(version);
    for (let i = 0; i < count; i += 1)
      if (version === 1 || i % version === 0) files[`apps/app-${i}/service.yaml`] = service(i, version);
    await commitWithCli(gitDir, files, `version ${version}`);
  }
}
