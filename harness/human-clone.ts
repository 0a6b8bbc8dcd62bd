// A person's working copy of a test repository, driven with the `git` CLI: seeds manifests and pushes the
// commits a team would make (a release, a revert) while gitcanary commits beside them.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { GitServerAccess } from './git-server.js';

const execFileAsync = promisify(execFile);

export class HumanClone {
  private constructor(
    readonly dir: string,
    private readonly bare: string,
  ) {}

  /** Clones the bare repository `name` straight from the server's directory (a person's `git clone`). */
  static async of(server: GitServerAccess, name: string): Promise<HumanClone> {
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-human-'));
    const bare = join(server.root, `${name}.git`);
    const clone = new HumanClone(dir, bare);
    await execFileAsync('git', ['clone', '--quiet', bare, dir]);
    await clone.git('config', 'user.name', 'A Person');
    await clone.git('config', 'user.email', 'person@example.com');
    await clone.git('checkout', '--quiet', '-B', 'main');
    return clone;
  }

  async git(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync('git', ['-C', this.dir, ...args]);
    return stdout;
  }

  /** Writes the files, commits them with `message` and pushes to main (pulling first if needed). */
  async commitAndPush(files: Record<string, string>, message: string): Promise<void> {
    await this.git('pull', '--quiet', '--rebase', 'origin', 'main').catch(() => undefined);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(this.dir, path)), { recursive: true });
      await writeFile(join(this.dir, path), content);
    }
    await this.git('add', '-A');
    await this.git('commit', '--quiet', '-m', message);
    await this.git('push', '--quiet', 'origin', 'HEAD:main');
  }

  /** Deletes the files (paths in the repository), commits and pushes to main (pulling first if needed). */
  async deleteAndPush(paths: string[], message: string): Promise<void> {
    await this.git('pull', '--quiet', '--rebase', 'origin', 'main').catch(() => undefined);
    await this.git('rm', '--quiet', ...paths);
    await this.git('commit', '--quiet', '-m', message);
    await this.git('push', '--quiet', 'origin', 'HEAD:main');
  }

  /** Subjects of the server's main branch, newest first. */
  async log(format = '%s'): Promise<string[]> {
    const { stdout } = await execFileAsync('git', [
      '--git-dir',
      this.bare,
      'log',
      `--format=${format}`,
      'main',
    ]);
    return stdout.split('\n').filter(Boolean);
  }

  /** The whole message of the server's newest commit on main (or the one `skip` commits before it). */
  async message(skip = 0): Promise<string> {
    const { stdout } = await execFileAsync('git', [
      '--git-dir',
      this.bare,
      'log',
      '-1',
      `--skip=${skip}`,
      '--format=%B',
      'main',
    ]);
    return stdout;
  }

  /** A file on the server's main branch. */
  async show(path: string): Promise<string> {
    const { stdout } = await execFileAsync('git', ['--git-dir', this.bare, 'show', `main:${path}`]);
    return stdout;
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
