// The git CLI, for publishing the benchmark's repositories and as the peer that gitcanary is measured
// beside. Runs without the user's git configuration; authenticates to the test server like any client
// with stored credentials (an Authorization header sent up front).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createBareRepository, type GitServerAccess } from '../harness/git-server.js';
import { runPeer } from './peer-runner.js';

// Added to the environment of the peer runner (peer-runner.ts), which is this process's.
const env = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

export class NativeGit {
  readonly authArgs: string[];

  constructor(readonly server: GitServerAccess) {
    const basic = Buffer.from(`${server.username}:${server.password}`).toString('base64');
    this.authArgs = [
      '-c',
      `http.extraHeader=Authorization: Basic ${basic}`,
      '-c',
      'user.name=Bench Person',
      '-c',
      'user.email=person@bench.test',
      // No background `gc --auto` after a commit of 20,000 files: it would race the clean-up, and add
      // noise to the peer's timings.
      '-c',
      'gc.auto=0',
      '-c',
      'maintenance.auto=false',
    ];
  }

  async run(args: string[], cwd?: string): Promise<string> {
    return runPeer('git', [...this.authArgs, ...args], { ...(cwd ? { cwd } : {}), env });
  }

  /** A new repository `name` on the server holding `files` in one commit; returns its URL. */
  async publish(name: string, files: ReadonlyMap<string, string>): Promise<string> {
    const url = await createBareRepository(this.server, name);
    const work = await mkdtemp(join(tmpdir(), 'gitcanary-bench-publish-'));
    try {
      await this.run(['init', '--quiet', '--initial-branch=main', work]);
      const dirs = new Set([...files.keys()].map((path) => dirname(join(work, path))));
      for (const dir of dirs) await mkdir(dir, { recursive: true });
      const entries = [...files];
      // In batches: 20,000 files at once would run out of file descriptors.
      for (let i = 0; i < entries.length; i += 256) {
        await Promise.all(
          entries.slice(i, i + 256).map(([path, content]) => writeFile(join(work, path), content)),
        );
      }
      await this.run(['add', '-A'], work);
      await this.run(['commit', '--quiet', '-m', 'apps'], work);
      await this.run(
        ['push', '--quiet', join(this.server.root, `${name}.git`), 'HEAD:refs/heads/main'],
        work,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return url;
  }
}
