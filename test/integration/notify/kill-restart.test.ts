// `gitcanary run` as a process: killed with SIGKILL in the middle of a release and started again on an empty
// store, it tells of every step at most once, and of the steps after the restart exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { kubeConfigFor } from '../../../harness/control-plane.js';
import { startChatServer } from '../../support/chat-server.js';
import { createBareRepository } from '../../../harness/git-server.js';
import { gitCli } from '../../support/git-cli.js';
import { HumanClone } from '../../../harness/human-clone.js';
import { waitUntil } from '../../../harness/owned-process.js';
import { createTestNamespace, testKubeConfig } from '../../support/test-namespace.js';

const server = inject('gitServer');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const files = (ns: string, color: string, hook: string) => ({
  'podinfo/service.yaml': `apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: ${ns} }
spec:
  selector: { app: podinfo-${color} }
  ports: [{ name: http, port: 9898 }]
`,
  'podinfo/canary.yaml': `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata: { name: podinfo, namespace: ${ns} }
spec:
  targetRef: { apiVersion: v1, kind: Service, name: podinfo }
  provider: gatewayapi
  service: { port: 9898, gatewayRefs: [{ name: public-gateway, namespace: ${ns} }] }
  analysis:
    interval: 2s
    threshold: 2
    maxWeight: 50
    stepWeight: 10
    alerts:
      - { name: all, severity: info, providerRef: { name: hook } }
---
apiVersion: gitcanary.dev/v1alpha1
kind: AlertProvider
metadata: { name: hook, namespace: ${ns} }
spec: { type: generic, address: "${hook}" }
`,
});

describe('gitcanary run, killed and restarted', () => {
  it('never tells of a commit twice', async () => {
    const chat = await startChatServer();
    cleanups.push(() => chat.stop());
    const ns = await createTestNamespace(testKubeConfig(), 'kill');
    const name = `kill-${ns}`;
    const url = await createBareRepository(server, name);
    const human = await HumanClone.of(server, name);
    cleanups.push(() => human.dispose());
    await human.commitAndPush(files(ns, 'blue', `${chat.url}/hook`), 'add podinfo');
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-kill-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeConfigFor(inject('controlPlane')).exportConfig());
    const gitDir = join(server.root, `${name}.git`);
    const mark = () =>
      gitCli(['--git-dir', gitDir, 'rev-parse', '--verify', '-q', 'refs/gitcanary/notified/main']).catch(
        () => '',
      );
    const subjects = () => gitCli(['--git-dir', gitDir, 'log', '--format=%H %s', 'main']);

    const start = (workdir: string): { child: ChildProcess; log: () => string } => {
      let log = '';
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'run', '--listen', '127.0.0.1:0', '--schedule', '* * * * * *'],
        {
          env: {
            ...process.env,
            GITCANARY_REPO: url,
            GITCANARY_GIT_USERNAME: server.username,
            GITCANARY_GIT_PASSWORD: server.password,
            GITCANARY_WORKDIR: join(dir, workdir),
            GITCANARY_NAMESPACES: ns,
            KUBECONFIG: kubeconfig,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      cleanups.push(async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await new Promise((resolve) => child.once('exit', resolve));
        }
      });
      return { child, log: () => log };
    };
    const told = () => chat.received.map((r) => r.body as { commit: string; message: string });

    const first = start('store-1');
    await waitUntil('the notification mark', async () => (await mark()) !== '', { timeoutMs: 60_000 });
    await human.commitAndPush(
      { 'podinfo/service.yaml': files(ns, 'green', '')['podinfo/service.yaml'] },
      'release green',
    );
    await waitUntil('two steps told', () => Promise.resolve(told().length >= 2), { timeoutMs: 60_000 });

    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const markAtKill = (await mark()).trim();
    const second = start('store-2');
    await waitUntil(
      'the promotion told',
      () => Promise.resolve(told().some((m) => m.message.startsWith('promoted'))),
      { timeoutMs: 90_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // anything more would arrive now
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));

    const commits = told().map((m) => m.commit);
    expect(new Set(commits).size).toBe(commits.length);
    // Every step after the release was merged, oldest first; those after the mark at the kill exactly once.
    const log = (await subjects()).trim().split('\n').reverse();
    const merged = log.findIndex((l) => l.endsWith(' release green'));
    const steps = log.slice(merged + 1).filter((l) => l.includes(' podinfo: '));
    const afterKill = steps
      .slice(steps.findIndex((l) => l.startsWith(markAtKill)) + 1)
      .map((l) => l.slice(0, 40));
    expect(afterKill.length).toBeGreaterThan(0);
    expect(commits.filter((c) => afterKill.includes(c))).toEqual(afterKill);
    expect(commits.every((c) => steps.some((l) => l.startsWith(c)))).toBe(true);
    expect(second.log()).toContain('"msg":"notification sent"');
  });
});
