import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, type Cluster } from '@kubernetes/client-node';
import { reuseConnections } from '../../../src/kube/reuse-connections.js';
import { testKubeConfig } from '../../support/test-namespace.js';

describe('reusing connections to the API server', () => {
  // A TCP pass-through in front of the API server that counts the connections clients open through it.
  let proxy: Server;
  let opened = 0;
  const sockets = new Set<Socket>();
  let kc: KubeConfig;

  beforeAll(async () => {
    const upstream = new URL(testKubeConfig().getCurrentCluster()?.server ?? '');
    proxy = createServer((client) => {
      opened += 1;
      const server = connect(Number(upstream.port), upstream.hostname);
      sockets.add(client).add(server);
      client.pipe(server).pipe(client);
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    const direct = testKubeConfig();
    const cluster = direct.getCurrentCluster() as Cluster;
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

  async function connectionsFor(kubeConfig: KubeConfig, requests: number): Promise<number> {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const before = opened;
    for (let i = 0; i < requests; i += 1) await core.readNamespace({ name: 'default' });
    return opened - before;
  }

  it('opens one connection for many sequential requests, where client-node alone opens one per request', async () => {
    const plain = await connectionsFor(kc, 5);
    const reused = await connectionsFor(reuseConnections(kc), 5);

    expect(plain).toBe(5);
    expect(reused).toBe(1);
  });

  it('returns a reusing copy as it is, so clients made from it share connections', async () => {
    const shared = reuseConnections(kc);
    await connectionsFor(shared, 1);

    const again = reuseConnections(shared);

    expect(again).toBe(shared);
    expect(await connectionsFor(again, 3)).toBe(0);
  });

  it('leaves the configuration it was given as it was', async () => {
    reuseConnections(kc);

    expect(await connectionsFor(kc, 2)).toBe(2);
  });
});
