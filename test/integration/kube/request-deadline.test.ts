import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, type Cluster as KubeCluster } from '@kubernetes/client-node';
import { Cluster } from '../../../src/kube/cluster.js';
import { KubeReadError } from '../../../src/kube/errors.js';
import { withRequestDeadline } from '../../../src/kube/request-deadline.js';
import { reuseConnections } from '../../../src/kube/reuse-connections.js';
import { testKubeConfig } from '../../support/test-namespace.js';

describe('the deadline of a Kubernetes request', () => {
  // A TCP pass-through in front of the API server that can go silent: while frozen it forwards nothing,
  // in either direction, as an API server stopped with SIGSTOP or behind a black-holing network.
  let proxy: Server;
  let frozen = false;
  const sockets = new Set<Socket>();
  let kc: KubeConfig;

  beforeAll(async () => {
    const upstream = new URL(testKubeConfig().getCurrentCluster()?.server ?? '');
    proxy = createServer((client) => {
      const server = connect(Number(upstream.port), upstream.hostname);
      sockets.add(client).add(server);
      const relay = (from: Socket, to: Socket) =>
        from.on('data', (chunk: Buffer) => {
          if (!frozen) to.write(chunk);
        });
      relay(client, server);
      relay(server, client);
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    const direct = testKubeConfig();
    const cluster = direct.getCurrentCluster() as KubeCluster;
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...cluster, server: `https://127.0.0.1:${port}` }],
      users: direct.users,
      contexts: direct.contexts,
      currentContext: direct.currentContext,
    });
  });
  afterAll(() => {
    sockets.forEach((socket) => socket.destroy());
    proxy.close();
  });

  const ref = { apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'kubernetes' };

  it('answers as usual while the API server answers, on one reused connection', async () => {
    const cluster = new Cluster(withRequestDeadline(reuseConnections(kc), { timeoutMs: 2_000 }));

    const service = await cluster.get(ref);
    const missing = await cluster.get({ ...ref, name: 'no-such-service' });

    expect(service?.metadata.name).toBe('kubernetes');
    expect(missing).toBeUndefined();
  });

  it('ends a request to a silent API server at its deadline, with a reason that says so', async () => {
    const cluster = new Cluster(withRequestDeadline(reuseConnections(kc), { timeoutMs: 1_000 }));
    await cluster.get(ref);
    frozen = true;
    try {
      const started = performance.now();
      const read = cluster.get({ ...ref, name: 'another' });

      await expect(read).rejects.toBeInstanceOf(KubeReadError);
      await expect(read).rejects.toThrow(/before the request deadline/);
      const seconds = (performance.now() - started) / 1000;
      expect(seconds).toBeGreaterThan(0.9);
      expect(seconds).toBeLessThan(2.5);
    } finally {
      frozen = false;
    }
  });

  it('ends the requests of typed clients too, and at once when the work is abandoned', async () => {
    const work = new AbortController();
    const core = withRequestDeadline(kc, { timeoutMs: 30_000, signal: () => work.signal }).makeApiClient(
      CoreV1Api,
    );
    frozen = true;
    try {
      const started = performance.now();
      const read = core.readNamespace({ name: 'default' });
      setTimeout(() => work.abort(), 300);

      await expect(read).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      frozen = false;
    }
  });

  it('leaves the original configuration without a deadline', () => {
    const original = reuseConnections(kc);
    const hook = () =>
      Object.getOwnPropertyDescriptor(original, 'applySecurityAuthentication')?.value as unknown;
    const before = hook();

    const copy = withRequestDeadline(original, { timeoutMs: 1 });

    expect(hook()).toBe(before);
    expect(copy).toBeInstanceOf(original.constructor);
  });
});
