// The push webhook against senders that are not forges, over real HTTP on loopback: slow uploads that hold
// connections open, a burst of valid deliveries, and one captured delivery sent again and again. The
// receiver whose memory is measured runs in a process of its own.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Agent, request, type ClientRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../../src/daemon/daemon.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { signBody } from '../../../src/daemon/webhook-signature.js';
import { emptyChangeSet, type ReconcileSummary } from '../../../src/reconcile/outcomes.js';

const secret = 'push-webhook-secret';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The receiver in its own process; `memory()` is its heap and buffers in use after a full collection. */
async function receiverProcess(bodyTimeoutMs: number) {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'test/support/push-receiver-process.ts'],
    {
      env: {
        ...process.env,
        PUSH_RECEIVER_SECRET: secret,
        PUSH_RECEIVER_BODY_TIMEOUT_MS: String(bodyTimeoutMs),
      },
    },
  );
  cleanups.push(() => void child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<unknown> => {
    const line = await lines.next();
    if (line.done) throw new Error('the receiver process ended');
    return JSON.parse(line.value);
  };
  const { url } = (await next()) as { url: string };
  return {
    url,
    async memory(): Promise<number> {
      child.stdin.write('measure\n');
      const usage = (await next()) as NodeJS.MemoryUsage;
      return usage.heapUsed + usage.arrayBuffers;
    },
  };
}

/** Sends headers and `bytes` of body at once, then nothing more; `status` settles if the server answers. */
function slowUpload(url: string, headers: Record<string, string>, bytes: number) {
  const req: ClientRequest = request(`${url}/hooks/git`, { method: 'POST', headers });
  req.on('error', () => undefined);
  cleanups.push(() => void req.destroy());
  const status = new Promise<number>((resolve) => req.on('response', (res) => resolve(res.statusCode ?? 0)));
  const written = new Promise<void>((resolve) => req.write(Buffer.alloc(bytes, 'a'), () => resolve()));
  return { status, written };
}

const idleSummary: ReconcileSummary = {
  head: 'h',
  commits: [],
  changes: emptyChangeSet(),
  canaries: [],
  errors: [],
};

/** A daemon whose passes only count themselves (and take 50 ms, as an idle pass does). */
async function countingDaemon(): Promise<{ daemon: Daemon; passes: () => number }> {
  let passes = 0;
  const reconciler = {
    reconcileOnce: async () => {
      passes += 1;
      await sleep(50);
      return idleSummary;
    },
  };
  const daemon = await startDaemon({
    reconciler,
    schedule: '0 0 1 1 *',
    logger: pino({ level: 'silent' }),
    metrics: new DaemonMetrics({ processMetrics: false }),
    host: '127.0.0.1',
    port: 0,
    webhookSecret: Buffer.from(secret),
  });
  cleanups.push(() => daemon.stop());
  while (passes < 1) await sleep(10); // the pass at start
  await sleep(100);
  return { daemon, passes: () => passes };
}

/** Sends `count` deliveries, 32 at a time on kept-alive connections; the statuses, counted. */
async function burst(
  url: string,
  count: number,
  delivery: (i: number) => { body: string; headers: Record<string, string> },
): Promise<Record<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  cleanups.push(() => agent.destroy());
  const post = ({ body, headers }: { body: string; headers: Record<string, string> }) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${url}/hooks/git`, { method: 'POST', headers, agent }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject).end(body);
    });
  const statuses: Record<number, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const status = await post(delivery(next++));
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return statuses;
}

describe('the push webhook under hostile load', () => {
  it('holds 32 slow signed uploads and 32 slow unsigned ones without keeping their bodies', async () => {
    const receiver = await receiverProcess(4_000);
    const before = await receiver.memory();
    const mib = 1024 * 1024;

    // Each declares 1 MiB (the limit), sends all of it but the last byte, and then nothing.
    const signed = Array.from({ length: 32 }, () =>
      slowUpload(
        receiver.url,
        { 'X-Hub-Signature-256': signBody('{}', secret), 'Content-Length': String(mib) },
        mib - 1,
      ),
    );
    const unsigned = Array.from({ length: 32 }, () =>
      slowUpload(receiver.url, { 'Content-Length': String(mib) }, mib - 1),
    );
    const refused = await Promise.all(unsigned.map((u) => u.status));
    await Promise.all(signed.map((u) => u.written));
    // Bytes written are not yet bytes read: a sample can catch chunks between the socket and the hash. A
    // kept body would be in every sample until the 4 s cut-off, so the least of several, 1.5 s apart at most,
    // is what the receiver holds.
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      await sleep(250);
      samples.push(await receiver.memory());
    }
    const holding = Math.min(...samples);
    const cutOff = await Promise.all(signed.map((u) => u.status));

    // 32 MiB of signed bodies arrived and were hashed; what is kept is the hash state, not the bytes.
    const grewMiB = (holding - before) / mib;
    console.log(
      `64 slow uploads (32 MiB received): receiver heap and buffers grew ${grewMiB.toFixed(1)} MiB`,
    );
    expect(grewMiB).toBeLessThan(8);
    expect(refused).toEqual(Array.from({ length: 32 }, () => 401));
    expect(cutOff).toEqual(Array.from({ length: 32 }, () => 408));
  });

  it('turns a burst of 10,000 valid deliveries into a pass now and one per 2 s, not one per delivery', async () => {
    const { daemon, passes } = await countingDaemon();
    const before = passes();
    const started = performance.now();

    const statuses = await burst(daemon.url, 10_000, (i) => {
      const body = `{"ref":"refs/heads/main","after":"${i.toString(16).padStart(40, '0')}"}`;
      return {
        body,
        headers: { 'X-Hub-Signature-256': signBody(body, secret), 'X-GitHub-Delivery': `d-${i}` },
      };
    });
    const seconds = (performance.now() - started) / 1000;
    await sleep(2_500); // the coalesced follow-up
    const passed = passes() - before;

    console.log(`10,000 valid deliveries in ${seconds.toFixed(1)} s → ${passed} passes`);
    expect(statuses).toEqual({ 202: 10_000 });
    expect(passed).toBeGreaterThanOrEqual(1);
    expect(passed).toBeLessThanOrEqual(2 + Math.ceil(seconds / 2));
  });

  it('acts once on a captured delivery sent 10,000 times, whatever delivery id it carries', async () => {
    const { daemon, passes } = await countingDaemon();
    const before = passes();
    const body = '{"ref":"refs/heads/main","after":"1f9a3c20be71"}';
    const signature = signBody(body, secret);

    const statuses = await burst(daemon.url, 10_000, (i) => ({
      body,
      headers: {
        'X-Hub-Signature-256': signature,
        'X-GitHub-Delivery': i % 2 === 0 ? 'captured' : `forged-${i}`,
      },
    }));
    await sleep(2_500);

    expect(statuses).toEqual({ 202: 1, 200: 9_999 });
    expect(passes() - before).toBe(1);
  });
});
