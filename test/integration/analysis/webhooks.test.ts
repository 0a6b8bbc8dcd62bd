// Webhooks against a real HTTP receiver on loopback: what gitcanary sends, and how each answer (or the lack
// of one) becomes a check, a gate or a rollback request.
import { execFile } from 'node:child_process';
import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressPolicy } from '../../../src/analysis/address-policy.js';
import { runAnalysis, type RunAnalysisInput } from '../../../src/analysis/run-analysis.js';
import { nodeHttpTransport } from '../../../src/analysis/http-transport.js';
import { notifyWebhooks } from '../../../src/analysis/webhooks.js';
import type { AnalysisNeeds, WebhookType } from '../../../src/core/analysis-report.js';
import { eventPayload } from '../../../src/core/analysis/webhook-payload.js';
import { freePort } from '../../../harness/free-port.js';
import { canaryYaml, resolveCanary, serviceYaml, startReceiver, type Receiver } from './fixtures.js';

/** The receivers listen on loopback, which the default policy refuses. */
const loopback = new AddressPolicy({ allowCidrs: ['127.0.0.1/32'] });

/** Paths of the receiver and what each answers; `/hang` never answers, `/flaky` fails once. */
async function startHooks(): Promise<Receiver> {
  let flaky = 0;
  return startReceiver((request, response) => {
    const path = request.path.replace(/\?.*$/u, '');
    if (path === '/hang') return;
    if (path === '/flaky') return void response.writeHead((flaky += 1) === 1 ? 503 : 200).end();
    const status = Number(/^\/(\d{3})/u.exec(path)?.[1] ?? 200);
    response
      .writeHead(status, { 'Content-Type': 'text/plain' })
      .end(status >= 300 ? 'load test failed: 12 errors; DB_PASSWORD=hunter2\n' : 'ok');
  });
}

describe('webhooks', () => {
  let hooks: Receiver;

  afterEach(async () => {
    await hooks.close();
  });

  /** `list` is [name, type, path on the receiver or a whole URL, extra YAML fields]. */
  async function analyse(
    list: [string, WebhookType, string, string?][],
    needs: WebhookType[],
    phase: RunAnalysisInput['phase'] = 'Progressing',
    extra: Partial<RunAnalysisInput> = {},
  ) {
    hooks = await startHooks();
    const webhooks = list
      .map(
        ([name, type, path, extra]) =>
          `      - { name: ${name}, type: ${type}, url: '${path.startsWith('/') ? hooks.url : ''}${path}'${extra ? `, ${extra}` : ''} }\n`,
      )
      .join('');
    const resolved = resolveCanary({
      'service.yaml': serviceYaml('apps'),
      'canary.yaml': canaryYaml('apps', { webhooks }),
    });
    const analysisNeeds: AnalysisNeeds = { webhooks: needs, metrics: false };
    return runAnalysis({
      ...resolved,
      needs: analysisNeeds,
      phase,
      revision: '3f1c0a9e42b7',
      retryDelayMs: 20,
      addressPolicy: loopback,
      ...extra,
    });
  }

  it("POSTs Flagger's payload as JSON, with the hook's metadata", async () => {
    await analyse(
      [['load', 'rollout', '/load', "metadata: { cmd: 'hey -z 1m http://podinfo-canary' }"]],
      ['rollout'],
    );

    expect(hooks.requests).toHaveLength(1);
    const [request] = hooks.requests;
    expect(request?.method).toBe('POST');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      name: 'podinfo',
      namespace: 'apps',
      phase: 'Progressing',
      checksum: '3f1c0a9e42b7',
      metadata: { cmd: 'hey -z 1m http://podinfo-canary' },
    });
  });

  it('passes rollout and pre-rollout hooks that answer 200–202 and fails the others with the status alone', async () => {
    const report = await analyse(
      [
        ['smoke', 'pre-rollout', '/200'],
        ['accepted', 'rollout', '/202'],
        ['load', 'rollout', '/500'],
        ['empty', 'rollout', '/204'],
      ],
      ['pre-rollout', 'rollout'],
    );

    expect(report).toEqual({
      checks: [
        { name: 'webhook:smoke', passed: true },
        { name: 'webhook:accepted', passed: true },
        // The answer's body never reaches a reason: it is committed to git, and a body holds anything.
        { name: 'webhook:load', passed: false, reason: 'HTTP 500' },
        // Flagger counts only 200, 201 and 202 as success; so does gitcanary.
        { name: 'webhook:empty', passed: false, reason: 'HTTP 204' },
      ],
      gates: {},
    });
  });

  it('fails a hook that does not answer within its timeout', async () => {
    const started = Date.now();

    const report = await analyse([['slow', 'rollout', '/hang', 'timeout: 300ms']], ['rollout']);

    expect(report.checks).toEqual([
      { name: 'webhook:slow', passed: false, reason: 'no answer within 0.3 s' },
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails an unreachable hook without naming its URL, which may hold a token', async () => {
    const closedPort = await freePort();

    const report = await analyse(
      [['gone', 'rollout', `http://127.0.0.1:${closedPort}/hook?token=s3cret`]],
      ['rollout'],
    );

    expect(report.checks).toEqual([
      { name: 'webhook:gone', passed: false, reason: 'unreachable (ECONNREFUSED)' },
    ]);
  });

  it("stops a Canary's hooks at its deadline, whatever their timeouts and retries", async () => {
    const started = performance.now();

    const report = await analyse(
      [
        ['approval', 'confirm-promotion', '/hang', 'timeout: 60s'],
        ['slow', 'rollout', '/hang', 'timeout: 60s, retries: 10'],
        ['failing', 'rollout', '/503', 'retries: 10'],
      ],
      ['confirm-promotion', 'rollout'],
      'Progressing',
      { deadlineMs: 500, retryDelayMs: 100 },
    );

    const elapsed = performance.now() - started;
    const deadline = "stopped at the Canary's analysis deadline (0.5 s)";
    expect(report).toEqual({
      checks: [
        { name: 'webhook:slow', passed: false, reason: deadline },
        // Its last answer when the deadline falls between two tries, the deadline when it falls in one.
        {
          name: 'webhook:failing',
          passed: false,
          reason: expect.stringMatching(
            /^(HTTP 503|stopped at the Canary's analysis deadline \(0\.5 s\))$/,
          ) as unknown,
        },
      ],
      gates: { 'confirm-promotion': false },
    });
    expect(elapsed).toBeLessThan(2_000);
    expect(hooks.requests.filter((r) => r.path === '/503').length).toBeLessThan(5);
  });

  it('retries a hook as often as `retries` says', async () => {
    const report = await analyse([['flaky', 'rollout', '/flaky', 'retries: 1']], ['rollout']);

    expect(report.checks).toEqual([{ name: 'webhook:flaky', passed: true }]);
    expect(hooks.requests).toHaveLength(2);
  });

  it.each([
    ['confirm-promotion', ['/200'], true],
    ['confirm-promotion', ['/403'], false],
    ['confirm-traffic-increase', ['/200', '/200'], true],
    ['confirm-traffic-increase', ['/200', '/403'], false],
  ] as const)('reads %s hooks answering %j as open=%s', async (type, paths, open) => {
    const report = await analyse(
      paths.map((path, i) => [`gate-${i}`, type, path] as [string, WebhookType, string]),
      [type],
    );

    expect(report).toEqual({ checks: [], gates: { [type]: open } });
  });

  it('leaves a gate out when the Canary has no hook of its type', async () => {
    const report = await analyse([['load', 'rollout', '/200']], ['confirm-promotion', 'rollout']);

    expect(report.gates).toEqual({});
  });

  it('calls nothing else while confirm-rollout is closed', async () => {
    const report = await analyse(
      [
        ['approval', 'confirm-rollout', '/403'],
        ['load', 'rollout', '/200'],
      ],
      ['confirm-rollout', 'rollout'],
      'Waiting',
    );

    expect(report).toEqual({ checks: [], gates: { 'confirm-rollout': false } });
    expect(hooks.requests.map((r) => r.path)).toEqual(['/403']);
    expect(JSON.parse(hooks.requests[0]?.body ?? '')).toMatchObject({ phase: 'Waiting' });
  });

  it.each([
    [['/200'], true],
    [['/404', '/200'], true],
    [['/404'], undefined],
  ])('asks for a rollback when a rollback hook of %j answers 200: %s', async (paths, requested) => {
    const report = await analyse(
      paths.map((path, i) => [`rollback-${i}`, 'rollback', path] as [string, WebhookType, string]),
      ['rollback', 'rollout'],
    );

    expect(report.rollbackRequested).toBe(requested);
    expect(report.checks).toEqual([]);
  });

  it('sends event hooks the event, keeping their own metadata', async () => {
    hooks = await startHooks();
    const resolved = resolveCanary({
      'service.yaml': serviceYaml('apps'),
      'canary.yaml': canaryYaml('apps', {
        webhooks: [
          `      - { name: chat, type: event, url: '${hooks.url}/200', metadata: { channel: deploys } }\n`,
          `      - { name: audit, type: post-rollout, url: '${hooks.url}/500' }\n`,
        ].join(''),
      }),
    });
    const event = { message: 'podinfo: weight 10 → 20', type: 'Normal' as const };
    const payload = eventPayload(resolved.canary, 'Progressing', 'r', event, new Date(1_700_000_000_000));

    const outcomes = await notifyWebhooks(resolved.checks.webhooks, 'event', payload, { policy: loopback });

    expect(outcomes).toEqual([{ name: 'chat', type: 'event', passed: true, status: 200 }]);
    expect(JSON.parse(hooks.requests[0]?.body ?? '')).toEqual({
      name: 'podinfo',
      namespace: 'apps',
      phase: 'Progressing',
      checksum: 'r',
      metadata: {
        channel: 'deploys',
        eventMessage: 'podinfo: weight 10 → 20',
        eventType: 'Normal',
        timestamp: '1700000000000',
      },
    });
  });

  it('skips TLS verification only for a hook with disableTLS', async () => {
    hooks = await startHooks(); // for afterEach
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
    ]);
    const server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (_, res) =>
      res.writeHead(200).end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const resolved = resolveCanary({
      'service.yaml': serviceYaml('apps'),
      'canary.yaml': canaryYaml('apps', {
        webhooks: [
          `      - { name: verified, url: 'https://127.0.0.1:${port}/' }\n`,
          `      - { name: unverified, url: 'https://127.0.0.1:${port}/', disableTLS: true }\n`,
        ].join(''),
      }),
    });

    try {
      const report = await runAnalysis({
        ...resolved,
        needs: { webhooks: ['rollout'], metrics: false },
        phase: 'Progressing',
        revision: 'r',
        addressPolicy: loopback,
      });

      expect(report.checks).toEqual([
        { name: 'webhook:verified', passed: false, reason: 'unreachable (DEPTH_ZERO_SELF_SIGNED_CERT)' },
        { name: 'webhook:unverified', passed: true },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the address policy of webhook URLs', () => {
  let hooks: Receiver;

  afterEach(async () => {
    await hooks.close();
  });

  async function callOnce(url: string, addressPolicy: AddressPolicy) {
    const resolved = resolveCanary({
      'service.yaml': serviceYaml('apps'),
      'canary.yaml': canaryYaml('apps', { webhooks: `      - { name: hook, url: '${url}', retries: 3 }\n` }),
    });
    const report = await runAnalysis({
      ...resolved,
      needs: { webhooks: ['rollout'], metrics: false },
      phase: 'Progressing',
      revision: 'r',
      retryDelayMs: 10,
      addressPolicy,
    });
    return report.checks;
  }

  it.each([
    ['loopback by address', (port: number) => `http://127.0.0.1:${port}/hook`, 'loopback address'],
    ['loopback by name', (port: number) => `http://localhost:${port}/hook`, 'loopback address'],
    [
      'loopback as an IPv4-mapped IPv6 address',
      (port: number) => `http://[::ffff:127.0.0.1]:${port}/`,
      'loopback address',
    ],
    [
      'the unspecified address, which Linux connects to the local host',
      (port: number) => `http://0.0.0.0:${port}/`,
      'unspecified address',
    ],
  ])('refuses %s by default: a failed check with the reason, and no call', async (_, url, label) => {
    hooks = await startReceiver((_request, response) => void response.writeHead(200).end());
    const port = Number(new URL(hooks.url).port);

    const checks = await callOnce(url(port), new AddressPolicy());

    expect(checks).toEqual([
      { name: 'webhook:hook', passed: false, reason: `refused by the address policy: ${label}` },
    ]);
    expect(hooks.requests).toEqual([]);
  });

  it('refuses the metadata address without a connection attempt or a retry', async () => {
    hooks = await startReceiver((_request, response) => void response.writeHead(200).end());
    const started = performance.now();

    const checks = await callOnce('http://169.254.169.254/latest/meta-data/iam/', new AddressPolicy());

    expect(checks).toEqual([
      { name: 'webhook:hook', passed: false, reason: 'refused by the address policy: link-local address' },
    ]);
    // Refused before connecting: no 10 s of SYNs to a black hole, and no three retries.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('connects to the address it checked: a name resolves once, through the policy', async () => {
    hooks = await startReceiver((_request, response) => void response.writeHead(200).end());
    const port = Number(new URL(hooks.url).port);
    const lookups: string[] = [];
    // A name only this resolver knows: a call that arrives proves the connection used the checked answer.
    const resolve = ((host: string, options: object, callback: (e: null, a: LookupAddress[]) => void) => {
      lookups.push(host);
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    }) as unknown as typeof dnsLookup;

    const refused = await callOnce(`http://hooks.gitcanary.invalid:${port}/`, new AddressPolicy({ resolve }));
    const allowed = await callOnce(
      `http://hooks.gitcanary.invalid:${port}/`,
      new AddressPolicy({ resolve, allowCidrs: ['127.0.0.1/32'] }),
    );

    expect(refused).toEqual([
      { name: 'webhook:hook', passed: false, reason: 'refused by the address policy: loopback address' },
    ]);
    expect(allowed).toEqual([{ name: 'webhook:hook', passed: true }]);
    expect(hooks.requests.map((r) => r.headers.host)).toEqual([`hooks.gitcanary.invalid:${port}`]);
    expect(lookups).toEqual(['hooks.gitcanary.invalid', 'hooks.gitcanary.invalid']);
  });

  it('refuses a host not listed in --webhook-allow-hosts', async () => {
    hooks = await startReceiver((_request, response) => void response.writeHead(200).end());
    const policy = new AddressPolicy({ allowCidrs: ['127.0.0.1/32'], allowHosts: ['hooks.example.com'] });

    const checks = await callOnce(`${hooks.url}/`, policy);

    expect(checks[0]?.reason).toBe('refused by the address policy: host not in --webhook-allow-hosts');
    expect(hooks.requests).toEqual([]);
  });
});

describe('nodeHttpTransport', () => {
  it("keeps a timeout beyond Node's timer limit instead of firing at once", async () => {
    const hooks = await startReceiver((_request, response) => {
      setTimeout(() => response.writeHead(200).end('late'), 100);
    });

    try {
      const response = await nodeHttpTransport({
        method: 'GET',
        url: `${hooks.url}/`,
        timeoutMs: 1000 * 3600 * 1000, // 1000h: Node would turn it into 1 ms
      });

      expect(response).toEqual({ status: 200, body: 'late' });
    } finally {
      await hooks.close();
    }
  });

  it('fails a request Node will not send (a header with a line break) instead of throwing', async () => {
    const hooks = await startReceiver((_request, response) => void response.writeHead(200).end());

    try {
      const sent = nodeHttpTransport({
        method: 'GET',
        url: `${hooks.url}/`,
        headers: { 'X-Scope-OrgID': 'a\r\nX-Injected: 1' },
        timeoutMs: 1_000,
      });

      await expect(sent).rejects.toMatchObject({ code: 'HttpInvalidRequest' });
      expect(hooks.requests).toEqual([]);
    } finally {
      await hooks.close();
    }
  });
});
