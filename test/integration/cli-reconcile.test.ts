import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { bundle } from '../../scripts/bundle.js';
import { kubeConfigFor } from '../../harness/control-plane.js';
import { createBareRepository } from '../../harness/git-server.js';
import { HumanClone } from '../../harness/human-clone.js';
import { waitUntil } from '../../harness/owned-process.js';
import { createTestNamespace, testKubeConfig } from '../support/test-namespace.js';

const execFileAsync = promisify(execFile);
const server = inject('gitServer');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function gitcanary(args: string[], env: Record<string, string>): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('gitcanary reconcile --once', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** The podinfo example in a repository of its own, and the environment that points gitcanary at it. */
  async function podinfoSetup() {
    const ns = await createTestNamespace(testKubeConfig(), 'cli');
    const name = `cli-${ns}`;
    const url = await createBareRepository(server, name);
    const human = await HumanClone.of(server, name);
    const example = async (file: string) =>
      (await readFile(join('examples/podinfo', file), 'utf8')).replaceAll(
        'namespace: demo',
        `namespace: ${ns}`,
      );
    await human.commitAndPush(
      {
        'podinfo/service.yaml': await example('service.yaml'),
        'podinfo/canary.yaml': await example('canary.yaml'),
      },
      'add podinfo',
    );
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-cli-'));
    dirs.push(dir, human.dir);
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeConfigFor(inject('controlPlane')).exportConfig());
    const env = {
      GITCANARY_REPO: url,
      GITCANARY_GIT_USERNAME: server.username,
      GITCANARY_GIT_PASSWORD: server.password,
      GITCANARY_WORKDIR: join(dir, 'workdir'),
      KUBECONFIG: kubeconfig,
      GITCANARY_LOG_LEVEL: 'debug',
    };
    return { ns, human, example, env };
  }

  it('initializes the example from the command line and never prints the git password', async () => {
    const { ns, human, example, env } = await podinfoSetup();

    const run = await gitcanary(['reconcile', '--once'], env);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${ns}/podinfo  Initialized  weight 0`);
    expect(run.stdout).toContain('cluster: 3 created, 0 configured, 0 unchanged, 0 failed');
    expect(run.stderr).toContain('"msg":"reconciled"');
    // The live cache listed the namespace: absent objects need no GET.
    expect(run.stderr).toContain('"kubeReads":0,"kubeWrites":3');
    expect(`${run.stdout}${run.stderr}`).not.toContain(server.password);
    expect((await human.log())[0]).toMatch(/^podinfo: initialized at \w{12}$/);

    const again = await gitcanary(['reconcile', '--once', '--output', 'json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ commits: [], changes: { created: [], configured: [] } });
    expect(again.stderr).toContain('"kubeReads":0,"kubeWrites":0');

    const status = await gitcanary(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^CANARY\\s+PHASE\\s+WEIGHT.*\\n${ns}/podinfo\\s+Initialized\\s+0%\\s+\\w{12}`),
    );

    await human.commitAndPush(
      {
        'podinfo/service.yaml': (await example('service.yaml')).replace('podinfo-blue', 'podinfo-green'),
      },
      'release green',
    );
    const diff = await gitcanary(['diff'], env);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain(`# ${ns}/podinfo`);
    expect(diff.stdout).toMatch(/## git: podinfo: new revision \w{12}, analysis started/);
    expect(diff.stdout).toContain('-    app: podinfo-blue\n+    app: podinfo-green');
    expect(diff.stdout).toContain(`## cluster: update Service/${ns}/podinfo-canary`);
    expect((await human.log())[0]).toBe('release green');
  });

  it('stops with exit code 2 and a clear message when the repository is not given', async () => {
    const run = await gitcanary(['reconcile', '--once'], { GITCANARY_REPO: '' });

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'gitcanary: --repo (or GITCANARY_REPO) is required: the http(s) URL of the repository\n',
    );
  });

  it('stops with exit code 2 when the repository URL or branch cannot be used, as for any configuration error', async () => {
    const run = await gitcanary(['reconcile', '--once'], {
      GITCANARY_REPO: 'ftp://git.example.com/deploy.git',
    });

    expect(run.stderr).toBe(
      'gitcanary: ftp://git.example.com/deploy.git: only http(s) repository URLs are supported\n',
    );
    expect(run.code).toBe(2);
  });

  it('stops with exit code 2 when the branch does not exist, the credentials are refused or unreadable, or an option is unknown', async () => {
    const { env } = await podinfoSetup();
    // A workdir each: a locked workdir is a configuration error of its own.
    const own = (name: string) => ({ ...env, GITCANARY_WORKDIR: `${env.GITCANARY_WORKDIR}-${name}` });

    const [branch, refused, unreadable, unknown] = await Promise.all([
      gitcanary(['reconcile', '--once'], { ...own('branch'), GITCANARY_BRANCH: 'no-such-branch' }),
      gitcanary(['reconcile', '--once'], { ...own('refused'), GITCANARY_GIT_PASSWORD: 'not-the-password' }),
      gitcanary(['reconcile', '--once', '--git-password-file', '/nonexistent/password'], own('unreadable')),
      gitcanary(['reconcile', '--once', '--no-such-option'], own('unknown')),
    ]);

    expect(branch.stderr).toBe(`gitcanary: ${env.GITCANARY_REPO}: branch no-such-branch does not exist\n`);
    expect(branch.code).toBe(2);
    expect(refused.stderr).toContain('authentication failed (HTTP 401)');
    expect(refused.code).toBe(2);
    expect(unreadable.stderr).toBe(
      'gitcanary: --git-password-file: cannot read /nonexistent/password: ENOENT\n',
    );
    expect(unreadable.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--no-such-option'");
    expect(unknown.code).toBe(2);
  });

  it('runs as the image runs it: bundled, with its node flags, without node_modules', async () => {
    const { ns, env } = await podinfoSetup();
    const app = await mkdtemp(join(tmpdir(), 'gitcanary-image-'));
    dirs.push(app);
    await bundle('src/cli/main.ts', join(app, 'dist', 'bundle', 'gitcanary.mjs'));
    // V8 holds the source for the process's life, two bytes a character if one is outside Latin-1.
    const source = await readFile(join(app, 'dist', 'bundle', 'gitcanary.mjs'), 'utf8');
    expect(source.match(/[\u0080-\uffff]/g) ?? []).toEqual([]);
    await copyFile('package.json', join(app, 'package.json'));
    const runtime = JSON.parse(await readFile('deploy/node-runtime.json', 'utf8')) as {
      nodeFlags: string[];
      env: Record<string, string>;
    };

    const { stdout } = await execFileAsync(
      process.execPath,
      [...runtime.nodeFlags, 'dist/bundle/gitcanary.mjs', 'reconcile', '--once'],
      { cwd: app, env: { ...process.env, ...runtime.env, ...env }, timeout: 60_000 },
    );

    expect(stdout).toContain(`${ns}/podinfo  Initialized  weight 0`);
    expect(stdout).toContain('cluster: 3 created, 0 configured, 0 unchanged, 0 failed');
  });

  it('gitcanary run reconciles at start and exits on SIGTERM, its watches closed', async () => {
    const { env } = await podinfoSetup();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'run', '--listen', '127.0.0.1:0', '--schedule', '0 0 1 1 *'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitUntil('the first reconcile', () => Promise.resolve(stderr.includes('"msg":"reconciled"')), {
        timeoutMs: 30_000,
      });

      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(10_000).then(() => 'still running')]);

      expect(code).toBe(0);
      expect(stderr).toContain('"msg":"shutting down"');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
