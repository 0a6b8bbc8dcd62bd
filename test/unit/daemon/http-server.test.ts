import { request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import {
  startDaemonServer,
  type DaemonServer,
  type DaemonServerOptions,
  type PushOutcome,
} from '../../../src/daemon/http-server.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import type { ReadinessStatus } from '../../../src/daemon/readiness.js';
import { signBody, signGeneric } from '../../../src/daemon/webhook-signature.js';

const secret = Buffer.from('webhook-secret');
const servers: DaemonServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(
  options: {
    secret?: Buffer;
    readiness?: ReadinessStatus;
    outcome?: () => PushOutcome;
  } & Partial<DaemonServerOptions> = {},
) {
  const pushes: string[] = [];
  const metrics = new DaemonMetrics({ processMetrics: false });
  const server = await startDaemonServer({
    ...options,
    host: '127.0.0.1',
    port: 0,
    metrics,
    readiness: () => options.readiness ?? { ready: false, reason: 'no reconcile has completed yet' },
    ...(options.secret ? { webhookSecret: options.secret } : {}),
    onPush: ({ source }) => {
      pushes.push(source);
      return Promise.resolve(options.outcome?.() ?? 'queued');
    },
    logger: pino({ level: 'silent' }),
  });
  servers.push(server);
  const counted = async (result: string) => {
    const text = await metrics.registry.metrics();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`gitcanary_webhook_requests_total{result="${result}"}`));
    return Number(line?.split(' ')[1]);
  };
  return { server, pushes, counted };
}

const push = (url: string, body: string, headers: Record<string, string>) =>
  fetch(`${url}/hooks/git`, { method: 'POST', body, headers });

/**
 * A POST whose body the test sends piece by piece, or not at all: `answer` settles when the server answers,
 * whether or not the body is complete.
 */
function openPost(url: string, headers: Record<string, string>) {
  const req = request(`${url}/hooks/git`, { method: 'POST', headers });
  req.on('error', () => undefined); // the server may close the connection once it has answered
  const answer = new Promise<{ status: number; text: string }>((resolve) => {
    req.on('response', (res: IncomingMessage) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, text }));
    });
  });
  req.flushHeaders();
  return { req, answer };
}

const github = (body: string, delivery?: string) => ({
  'X-Hub-Signature-256': signBody(body, secret),
  'X-GitHub-Event': 'push',
  ...(delivery ? { 'X-GitHub-Delivery': delivery } : {}),
});

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

  it.each([
    ['generic', (body: string) => signGeneric(body, secret)],
    ['github', (body: string) => github(body)],
    ['gitlab', () => ({ 'X-Gitlab-Token': secret.toString() })],
  ])('accepts a signed %s push with 202 and asks for a reconcile', async (source, sign) => {
    const { server, pushes } = await start({ secret });
    const body = '{"ref":"refs/heads/main"}';

    const response = await push(server.url, body, sign(body));

    expect(response.status).toBe(202);
    expect(pushes).toEqual([source]);
  });

  it.each([
    ['unsigned', {}],
    ['badly signed', { 'X-Hub-Signature-256': signBody('{}', secret) }],
    ['with a wrong GitLab token', { 'X-Gitlab-Token': 'guess' }],
    ['signed the generic way without a timestamp', { 'X-Gitcanary-Signature': signBody('{}', secret) }],
  ])('refuses an %s push with 401 and asks for nothing', async (_name, headers) => {
    const { server, pushes } = await start({ secret });

    const response = await push(server.url, '{"ref":"refs/heads/main"}', headers);

    expect(response.status).toBe(401);
    expect(pushes).toEqual([]);
  });

  it('answers a GitHub ping without a reconcile', async () => {
    const { server, pushes } = await start({ secret });

    const response = await push(server.url, '{}', { ...github('{}'), 'X-GitHub-Event': 'ping' });

    expect(response.status).toBe(200);
    expect(pushes).toEqual([]);
  });

  it('keeps the receiver off without a secret', async () => {
    const { server, pushes } = await start();

    const response = await push(server.url, '{}', github('{}'));

    expect(response.status).toBe(404);
    expect(pushes).toEqual([]);
  });

  it('answers 503 when no replica can reconcile now', async () => {
    const { server } = await start({ secret, outcome: () => 'unavailable' });

    const response = await push(server.url, '{}', github('{}'));

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

describe('the push webhook, against hostile senders', () => {
  it('refuses a body declared too large with 413 before a byte of it is sent', async () => {
    const { server, pushes, counted } = await start({ secret, webhookMaxBodyBytes: 1024 });
    const { req, answer } = openPost(server.url, { ...github('{}'), 'Content-Length': '1025' });

    const { status } = await answer;
    req.destroy();

    expect(status).toBe(413);
    expect(pushes).toEqual([]);
    expect(await counted('rejected')).toBe(1);
  });

  it('refuses an unsigned push with 401 before a byte of its body is sent', async () => {
    const { server } = await start({ secret });
    const { req, answer } = openPost(server.url, { 'Content-Length': '1000000' });

    const { status, text } = await answer;
    req.destroy();

    expect(status).toBe(401);
    expect(text).toMatch(/^no signature/u);
  });

  it('stops reading a chunked body at the limit, while the sender is still sending', async () => {
    const { server, pushes } = await start({ secret, webhookMaxBodyBytes: 64 * 1024 });
    const { req, answer } = openPost(server.url, github('{}'));
    let sent = 0;
    const chunk = Buffer.alloc(16 * 1024, 'a');
    const sending = setInterval(() => {
      req.write(chunk);
      sent += chunk.length;
    }, 1);

    const { status } = await answer;
    clearInterval(sending);
    req.destroy();

    expect(status).toBe(413);
    expect(pushes).toEqual([]);
    // The answer came while the body was still coming: it did not wait for the end.
    expect(req.writableEnded).toBe(false);
    expect(sent).toBeGreaterThan(64 * 1024);
  });

  it('gives up on a body that does not arrive in time (408)', async () => {
    const { server, pushes } = await start({ secret, webhookBodyTimeoutMs: 200 });
    const { req, answer } = openPost(server.url, { ...github('{"ref":"x"}'), 'Content-Length': '11' });
    req.write('{"ref"');
    const started = performance.now();

    const { status } = await answer;
    req.destroy();

    expect(status).toBe(408);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(pushes).toEqual([]);
  });

  it('reads only so many deliveries at once, and answers the next one 503', async () => {
    const { server } = await start({ secret, maxConcurrentDeliveries: 2, webhookBodyTimeoutMs: 5_000 });
    const slow = [
      openPost(server.url, { ...github('{}'), 'Content-Length': '2' }),
      openPost(server.url, { ...github('{}'), 'Content-Length': '2' }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 100));

    const third = await push(server.url, '{}', github('{}'));
    for (const { req } of slow) req.end('{}');
    const answers = await Promise.all(slow.map((s) => s.answer));

    expect(third.status).toBe(503);
    // The two slow ones were one delivery sent twice: the second is a replay.
    expect(answers.map((a) => a.status).sort()).toEqual([200, 202]);
  });

  it('ignores a replayed delivery: 200, no second reconcile', async () => {
    const { server, pushes, counted } = await start({ secret });
    const body = '{"ref":"refs/heads/main","after":"1f9a3c2"}';

    const first = await push(server.url, body, github(body, 'delivery-1'));
    const again = await push(server.url, body, github(body, 'delivery-1'));
    // The delivery id is not signed: a replay under a new id is still the same signed body.
    const renamed = await push(server.url, body, github(body, 'delivery-2'));

    expect([first.status, again.status, renamed.status]).toEqual([202, 200, 200]);
    expect(await again.text()).toBe('delivery already received; ignored\n');
    expect(pushes).toEqual(['github']);
    expect(await counted('replayed')).toBe(2);
  });

  it('takes a GitLab delivery id as a replay even with another body', async () => {
    const { server, pushes } = await start({ secret });
    const headers = { 'X-Gitlab-Token': secret.toString(), 'X-Gitlab-Event-UUID': 'uuid-1' };

    const first = await push(server.url, '{"a":1}', headers);
    const again = await push(server.url, '{"a":2}', headers);

    expect([first.status, again.status]).toEqual([202, 200]);
    expect(pushes).toEqual(['gitlab']);
  });

  it('accepts the same generic body again when it is signed at another time', async () => {
    let clock = 1_800_000_000_000;
    const { server, pushes } = await start({ secret, clock: () => clock });
    const body = '{"ref":"refs/heads/main"}';

    const first = await push(server.url, body, signGeneric(body, secret, clock / 1000));
    const replay = await push(server.url, body, signGeneric(body, secret, clock / 1000));
    clock += 1_000;
    const next = await push(server.url, body, signGeneric(body, secret, clock / 1000));
    clock += 301_000;
    const stale = await push(server.url, body, signGeneric(body, secret, 1_800_000_000));

    expect([first.status, replay.status, next.status, stale.status]).toEqual([202, 200, 202, 401]);
    expect(pushes).toEqual(['generic', 'generic']);
  });

  it('forgets a delivery it could not act on, so that the retry is accepted', async () => {
    const outcomes: PushOutcome[] = ['unavailable', 'queued'];
    const { server, pushes } = await start({ secret, outcome: () => outcomes.shift() ?? 'queued' });
    const body = '{"ref":"refs/heads/main"}';

    const refused = await push(server.url, body, github(body, 'd-1'));
    const retried = await push(server.url, body, github(body, 'd-1'));

    expect([refused.status, retried.status]).toEqual([503, 202]);
    expect(pushes).toEqual(['github', 'github']);
  });
});
