// `gitcanary run` as the image runs it (the bundle, with deploy/node-runtime.json's node flags and
// environment), watching one repository that holds every case of the bad-input suite at once, each case in
// a folder of its own with a namespace of its own, beside the good Canary. Its peak RSS (the kernel's
// VmHWM, so nothing between samples is missed) must stay under 256 MiB while it reads them all, and every
// case must still be refused with its error while the good Canary is applied and committed.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { bundle } from '../../../scripts/bundle.js';
import { badInputs, goodCanary, goodService } from '../../support/bad-inputs.js';
import { kubeConfigFor } from '../../../harness/control-plane.js';
import { gitCli } from '../../support/git-cli.js';
import { waitUntil } from '../../../harness/owned-process.js';
import { seededRepository } from '../../support/seeded-repository.js';
import { createTestNamespace, testKubeConfig } from '../../support/test-namespace.js';

const server = inject('gitServer');
const kc = testKubeConfig();
const limitBytes = 256 * 1024 * 1024;
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

interface LogLine {
  msg?: string;
  created?: number;
  failed?: number;
  commits?: number;
  errors?: number;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A status field of /proc/<pid>/status, in bytes. */
async function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'mu').exec(status)?.[1];
  if (kib === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/** Every case in `case-<i>/`, its objects in namespace `<ns>-<i>`; crafted entries under the same folder. */
function repositoryOfEveryCase(ns: string) {
  const files: Record<string, string | Buffer> = {
    'apps/podinfo/service.yaml': goodService(ns),
    'apps/podinfo/canary.yaml': goodCanary(ns),
  };
  const crafted = badInputs.flatMap((input, i) =>
    (input.crafted?.(`${ns}-${i}`) ?? []).map((entry) => ({
      ...entry,
      parent: entry.parent === '' ? `case-${i}` : `case-${i}/${entry.parent}`,
    })),
  );
  badInputs.forEach((input, i) => {
    for (const [path, content] of Object.entries(input.files(`${ns}-${i}`)))
      files[`case-${i}/${path}`] = content;
  });
  return { files, crafted };
}

describe('gitcanary run through every case of the bad-input suite', () => {
  it(`keeps its RSS under ${mib(limitBytes)} MiB, and refuses each case while the good Canary is applied`, async () => {
    const ns = await createTestNamespace(kc, 'rss');
    const { files, crafted } = repositoryOfEveryCase(ns);
    const { url, bareDir } = await seededRepository(server, 'bad-input-rss', files, crafted);
    const app = await mkdtemp(join(tmpdir(), 'gitcanary-rss-'));
    cleanups.push(() => rm(app, { recursive: true, force: true }));
    await bundle('src/cli/main.ts', join(app, 'dist', 'bundle', 'gitcanary.mjs'));
    await copyFile('package.json', join(app, 'package.json'));
    await writeFile(join(app, 'kubeconfig'), kubeConfigFor(inject('controlPlane')).exportConfig());
    const runtime = JSON.parse(await readFile('deploy/node-runtime.json', 'utf8')) as {
      nodeFlags: string[];
      env: Record<string, string>;
    };

    const lines: LogLine[] = [];
    let partial = '';
    const child: ChildProcess = spawn(
      process.execPath,
      [
        ...runtime.nodeFlags,
        'dist/bundle/gitcanary.mjs',
        'run',
        '--listen',
        '127.0.0.1:0',
        '--schedule',
        '* * * * * *',
      ],
      {
        cwd: app,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          ...runtime.env,
          GITCANARY_REPO: url,
          GITCANARY_GIT_USERNAME: server.username,
          GITCANARY_GIT_PASSWORD: server.password,
          GITCANARY_WORKDIR: join(app, 'workdir'),
          GITCANARY_DEFAULT_NAMESPACE: ns,
          KUBECONFIG: join(app, 'kubeconfig'),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        try {
          lines.push(JSON.parse(line) as LogLine);
        } catch {
          lines.push({ msg: line });
        }
      }
    });
    const pid = child.pid ?? 0;
    const reconciled = () => lines.filter((line) => line.msg === 'reconciled');
    let sampledPeak = 0;
    const sampler = setInterval(() => {
      statusBytes(pid, 'VmRSS').then(
        (rss) => (sampledPeak = Math.max(sampledPeak, rss)),
        () => undefined,
      );
    }, 20);
    cleanups.push(() => Promise.resolve(clearInterval(sampler)));

    // The first pass reads every case; the second finds them read (and the good Canary at rest).
    await waitUntil('two passes', () => Promise.resolve(reconciled().length >= 2), { timeoutMs: 60_000 });
    const peak = await statusBytes(pid, 'VmHWM');
    clearInterval(sampler);
    child.kill('SIGTERM');
    await exited;

    console.log(
      `gitcanary run through ${badInputs.length} bad-input cases in one repository: peak RSS ${mib(peak)} MiB ` +
        `(VmHWM; ${mib(sampledPeak)} MiB sampled every 20 ms), first pass ` +
        `${JSON.stringify(reconciled()[0])}`,
    );
    expect(peak).toBeLessThan(limitBytes);

    // The good Canary was applied and committed, and nothing else was written.
    const [first] = reconciled();
    expect(first).toMatchObject({ created: 2, failed: 0, commits: 1 });
    const core = kc.makeApiClient(CoreV1Api);
    const primary = await core.readNamespacedService({ name: 'podinfo-primary', namespace: ns });
    expect(primary.spec?.selector).toEqual({ app: 'podinfo' });
    const changed = await gitCli(['--git-dir', bareDir, 'diff', '--name-only', 'main~1', 'main']);
    expect(changed.split('\n').filter(Boolean)).toEqual(['apps/podinfo/podinfo.gitcanary.yaml']);

    // Every case was refused with its error, at its file.
    const said = lines.map((line) => line.msg ?? '');
    const unrefused = badInputs
      .map((input, i) => ({ input, file: `case-${i}/${input.file}` }))
      .filter(({ input, file }) => !said.some((msg) => msg.startsWith(file) && input.message.test(msg)))
      .map(({ input, file }) => `${input.name} (${file})`);
    expect(unrefused).toEqual([]);
  });
});
