import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startDaemonServer, type DaemonServer, type PushOutcome } from '../../../src/daemon/http-server.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import type { ReadinessStatus } from '../../../src/daemon/readiness.js';
import { signBody } from '../../../src/daemon/webhook-signature.js';

const secret = Buffer.from('webhook-secret');
const servers: DaemonServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: { secret?: Buffer; readiness?: ReadinessStatus; outcome?: PushOutcome } = {}) {
  const pushes: string[] = [];
  const server = await startDaemonServer({
    host: '127.0.0.1',
    port: 0,
    metrics: new DaemonMetrics({ processMetrics: false }),
    readiness: () => options.readiness ?? { ready: false, reason: 'no reconcile has completed yet' },
    ...(options.secret ? { webhookSecret: options.secret } : {}),
    onPush: ({ source }) => {
      pushes.push(source);
      return Promise.resolve(options.outcome ?? 'queued');
    },
    logger: pino({ level: 'silent' }),
  });
  servers.push(server);
  return { server, pushes };
}

const push = (url: string, body: string, headers: Record<string, string>) =>
  fetch(`${url}/hooks/git`, { method: 'POST', body, headers });

describe('the daemon HTTP server', () => {
  it('answers /healthz at once and /readyz with the readiness and its reason', async () => {
    const { server } = await start();

    const health = await fetch(`${server.url}/healthz`);
    const ready = await fetch(`${server.url}/readyz`);

    expect(health.status).toBe(200);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('no reconcile has completed yet\n');
  });

  it('serves Prometheus text on /metrics', async () => {
    const { server } = await start();

    const response = await fetch(`${server.url}/metrics`);

    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toContain('# TYPE gitcanary_reconcile_duration_seconds histogram');
  });

  it('accepts a signed push with 202 and asks for a reconcile', async () => {
    const { server, pushes } = await start({ secret });
    const body = '{"ref":"refs/heads/main"}';

    const response = await push(server.url, body, { 'X-Gitcanary-Signature': signBody(body, secret) });

    expect(response.status).toBe(202);
    expect(pushes).toEqual(['generic']);
  });

  it.each([
    ['unsigned', {}],
    ['badly signed', { 'X-Hub-Signature-256': signBody('{}', secret) }],
    ['with a wrong GitLab token', { 'X-Gitlab-Token': 'guess' }],
  ])('refuses an %s push with 401 and asks for nothing', async (_name, headers) => {
    const { server, pushes } = await start({ secret });

    const response = await push(server.url, '{"ref":"refs/heads/main"}', headers);

    expect(response.status).toBe(401);
    expect(pushes).toEqual([]);
  });

  it('answers a GitHub ping without a reconcile', async () => {
    const { server, pushes } = await start({ secret });

    const response = await push(server.url, '{}', {
      'X-Hub-Signature-256': signBody('{}', secret),
      'X-GitHub-Event': 'ping',
    });

    expect(response.status).toBe(200);
    expect(pushes).toEqual([]);
  });

  it('keeps the receiver off without a secret', async () => {
    const { server, pushes } = await start();

    const response = await push(server.url, '{}', { 'X-Gitcanary-Signature': signBody('{}', secret) });

    expect(response.status).toBe(404);
    expect(pushes).toEqual([]);
  });

  it('answers 503 when no replica can reconcile now', async () => {
    const { server } = await start({ secret, outcome: 'unavailable' });

    const response = await push(server.url, '{}', { 'X-Gitcanary-Signature': signBody('{}', secret) });

    expect(response.status).toBe(503);
  });

  it.each([
    ['GET', '/hooks/git', 405],
    ['POST', '/metrics', 405],
    ['GET', '/nowhere', 404],
  ])('answers %s %s with %i', async (method, path, status) => {
    const { server } = await start({ secret });

    const response = await fetch(`${server.url}${path}`, { method });

    expect(response.status).toBe(status);
  });
});
