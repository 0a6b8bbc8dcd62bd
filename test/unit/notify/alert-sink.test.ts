import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommittedTransition } from '../../../src/core/alerts/committed-transition.js';
import type { ResolvedCanary } from '../../../src/core/manifests/assemble.js';
import { alertSink } from '../../../src/notify/alert-sink.js';
import { DeliveryError } from '../../../src/notify/delivery.js';
import { startChatServer } from '../../support/chat-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** An HTTP proxy that only tunnels (CONNECT), as corporate proxies do; it records where to. */
async function startConnectProxy() {
  const tunnels: string[] = [];
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels };
}

const transition = (kind: CommittedTransition['kind']): CommittedTransition => ({
  oid: 'c'.repeat(40),
  canary: 'demo/podinfo',
  phase: kind === 'rolled-back' ? 'Failed' : 'Progressing',
  weight: 0,
  revision: 'r2',
  subject: 'podinfo: something',
  timestamp: 0,
  kind,
  checks: [],
});

function resolved(severity: 'info' | 'warn' | 'error'): ResolvedCanary {
  return {
    alerts: [
      {
        alert: {
          name: 'a',
          field: 'spec.analysis.alerts[0]',
          severity,
          providerRef: { name: 'chat', namespace: 'demo' },
        },
        provider: {
          namespace: 'demo',
          name: 'chat',
          type: 'slack',
          channel: 'c',
          username: 'u',
          secretRef: { name: 'chat-url' },
        },
      },
    ],
  } as ResolvedCanary;
}

describe('alertSink', () => {
  it('sends through the proxy and with the token the mounted Secret gives', async () => {
    const chat = await startChatServer();
    cleanups.push(() => chat.stop());
    const proxy = await startConnectProxy();
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-alert-credentials-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const secret = join(dir, 'demo', 'chat-url');
    await mkdir(secret, { recursive: true });
    await writeFile(join(secret, 'address'), `${chat.url}/api/chat.postMessage\n`);
    await writeFile(join(secret, 'token'), 'xoxb-secret\n');
    await writeFile(join(secret, 'proxy'), proxy.url);
    const sink = alertSink({ canary: () => resolved('info'), credentialsDir: dir });

    const [delivery, ...rest] = sink([transition('rolled-back')]);
    await delivery?.send();

    expect(rest).toEqual([]);
    expect(delivery).toMatchObject({ kind: 'alert', target: 'slack demo/chat', canary: 'demo/podinfo' });
    expect(proxy.tunnels).toEqual([chat.url.replace('http://', '')]);
    expect(chat.received).toMatchObject([
      {
        path: '/api/chat.postMessage',
        headers: { authorization: 'Bearer xoxb-secret' },
        body: { channel: 'c' },
      },
    ]);
  });

  it('sends each alert only what its severity hears', () => {
    const kinds = ['step', 'waiting-promotion', 'rolled-back', 'initialized'] as const;
    const heard = (severity: 'info' | 'warn' | 'error') =>
      alertSink({ canary: () => resolved(severity) })(kinds.map(transition)).length;

    expect([heard('info'), heard('warn'), heard('error')]).toEqual([3, 2, 1]);
  });

  it('fails for good, without retrying, when the Secret has no address', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-alert-credentials-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const [delivery] = alertSink({ canary: () => resolved('info'), credentialsDir: dir })([
      transition('step'),
    ]);

    const failure = await delivery?.send().catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(DeliveryError);
    expect(failure).toMatchObject({
      retryable: false,
      message: expect.stringContaining('no "address" key') as string,
    });
  });
});
