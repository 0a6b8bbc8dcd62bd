// The CLI on Flagger's own Canaries (test/fixtures/flagger, rewritten with Service targets): `validate` and
// `render` accept them as Flagger would, with warnings for what does nothing here, and fail only where
// the file cannot mean what it says.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);

async function gitcanary(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      {
        env: withoutDefaultProvider(),
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function withoutDefaultProvider(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.GITCANARY_DEFAULT_PROVIDER;
  return env;
}

const serviceTarget = 'test/fixtures/flagger/service-target';
const gatewayApi = 'test/fixtures/flagger/gateway-api';

// Each test starts the CLI in a process of its own (through tsx): seconds on a busy machine.
describe("Flagger's Canaries through the CLI", { timeout: 60_000 }, () => {
  it("validates Flagger's Service-target example (v1alpha3, core/v1, provider kubernetes, iterations 2)", async () => {
    const run = await gitcanary('validate', serviceTarget);

    expect(run).toMatchObject({ code: 0, stdout: 'ok: 1 manifest files, 1 Canary\n' });
  });

  it("renders Flagger's Service-target example: the state and both Services, no route", async () => {
    const run = await gitcanary('render', serviceTarget);

    expect(run.code).toBe(0);
    expect([...run.stdout.matchAll(/^kind: (\w+)$/gmu)].map((m) => m[1])).toEqual([
      'CanaryState',
      'Service',
      'Service',
    ]);
  });

  it("validates the Gateway API tutorial's Canaries given the provider, warning of what does nothing here", async () => {
    const run = await gitcanary('validate', gatewayApi, '--default-provider', 'gatewayapi:v1');

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'test/fixtures/flagger/gateway-api/canary/canary.yaml:12: warning: spec.autoscalerRef: not applicable to a Service target',
    );
    expect(run.stdout.trim().split('\n').at(-1)).toBe('ok: 7 manifest files, 3 Canaries, 6 warnings');
  });

  it('fails on those warnings with --strict', async () => {
    const run = await gitcanary('validate', gatewayApi, '--default-provider', 'gatewayapi:v1', '--strict');

    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n').at(-1)).toBe(
      'ok: 7 manifest files, 3 Canaries, 6 warnings (--strict: failing)',
    );
  });

  it('refuses a weighted Canary when no provider that shifts traffic is in effect, naming file, line and the ways out', async () => {
    const run = await gitcanary('validate', gatewayApi);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'test/fixtures/flagger/gateway-api/canary/canary.yaml:24: spec.analysis: asks for traffic weights, but provider kubernetes cannot shift traffic: set spec.provider (or --default-provider) to a router such as gatewayapi, or use iterations for a blue/green run',
    );
  });

  it("renders the tutorial's Canaries as a Kubernetes List", async () => {
    const run = await gitcanary(
      'render',
      gatewayApi,
      '--default-provider',
      'gatewayapi:v1',
      '-o',
      'json',
      '--weight',
      '30',
    );

    const list = JSON.parse(run.stdout) as { kind: string; items: { kind: string }[] };
    expect(run.code).toBe(0);
    expect(list.kind).toBe('List');
    expect(list.items.map((item) => item.kind).filter((kind) => kind === 'HTTPRoute')).toHaveLength(3);
  });

  it('stops with exit 2 on a default provider it does not route for', async () => {
    const run = await gitcanary('validate', gatewayApi, '--default-provider', 'appmesh');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--default-provider: "appmesh" is not a provider gitcanary routes for');
  });
});

describe(
  "Flagger's NGINX, Skipper and Traefik tutorial Canaries through the CLI",
  { timeout: 60_000 },
  () => {
    it.each([
      ['nginx', 'ok: 6 manifest files, 2 Canaries, 3 warnings'],
      ['skipper', 'ok: 3 manifest files, 1 Canary, 2 warnings'],
      ['traefik', 'ok: 3 manifest files, 1 Canary, 2 warnings'],
    ])('validates the %s tutorial, warning only of the workload fields', async (provider, summary) => {
      const run = await gitcanary('validate', `test/fixtures/flagger/${provider}`);

      expect(run.code).toBe(0);
      expect(run.stdout.trim().split('\n').at(-1)).toBe(summary);
      expect(
        run.stdout
          .split('\n')
          .filter((l) => l.includes(': warning: '))
          .every((l) => /autoscalerRef|targetPort/u.test(l)),
      ).toBe(true);
    });

    it.each([
      ['nginx', ['Ingress/podinfo-canary', 'Ingress/podinfo-ab-canary']],
      ['skipper', ['Ingress/podinfo-canary']],
      ['traefik', ['TraefikService/podinfo']],
    ])('renders the %s tutorial with the route Flagger names', async (provider, routes) => {
      const run = await gitcanary('render', `test/fixtures/flagger/${provider}`, '-o', 'json');

      const list = JSON.parse(run.stdout) as { items: { kind: string; metadata: { name: string } }[] };
      expect(run.code).toBe(0);
      expect(
        list.items
          .filter((item) => !['CanaryState', 'Service'].includes(item.kind))
          .map((item) => `${item.kind}/${item.metadata.name}`),
      ).toEqual(routes);
    });
  },
);
