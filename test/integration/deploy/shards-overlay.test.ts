// deploy/shards/ as the real kustomize builds it: one Deployment per shard, each with its own key, pods and
// Lease, the Role allowing exactly those Leases, and every object accepted by the API server (dry run).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { loadAll } from 'js-yaml';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { leaseName } from '../../../src/cli/commands/run.js';
import { addReconcilerOptions, type ReconcilerFlags } from '../../../src/cli/reconciler-config.js';
import { RawKube, messageOf, type Unstructured } from '../../support/raw-kube.js';
import { createTestNamespace, testKubeConfig } from '../../support/test-namespace.js';

const kube = new RawKube(inject('controlPlane'));
afterAll(() => kube.close());

type Deployment = Unstructured & {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { args: string[]; env: { name: string; value?: string }[] }[] };
    };
  };
};

async function build(dir: string): Promise<Unstructured[]> {
  const { stdout } = await promisify(execFile)(inject('kustomizeBinary'), ['build', dir], {
    maxBuffer: 16 << 20,
  });
  return loadAll(stdout) as Unstructured[];
}

/** The flags the container's arguments and environment give `gitcanary run`. */
async function flagsOf(deployment: Deployment): Promise<ReconcilerFlags> {
  const container = deployment.spec.template.spec.containers[0];
  const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
  let flags: ReconcilerFlags | undefined;
  const saved = process.env.GITCANARY_SHARD;
  if (env.GITCANARY_SHARD === undefined) delete process.env.GITCANARY_SHARD;
  else process.env.GITCANARY_SHARD = env.GITCANARY_SHARD;
  try {
    await addReconcilerOptions(new Command('run'))
      .action((parsed: ReconcilerFlags) => {
        flags = parsed;
      })
      .parseAsync((container?.args ?? []).slice(1), { from: 'user' });
  } finally {
    if (saved === undefined) delete process.env.GITCANARY_SHARD;
    else process.env.GITCANARY_SHARD = saved;
  }
  if (!flags) throw new Error('the run command did not parse');
  return flags;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describe('deploy/shards/', () => {
  it('runs one Deployment per shard, each with its own key, pods and Lease', async () => {
    const objects = await build('deploy/shards');
    const deployments = objects.filter((o) => o.kind === 'Deployment') as Deployment[];
    const shards = await Promise.all(deployments.map(async (d) => (await flagsOf(d)).shard));

    expect(deployments.map((d) => d.metadata.name)).toEqual([
      'gitcanary',
      'gitcanary-shard-1',
      'gitcanary-shard-2',
    ]);
    expect(shards).toEqual(['', 'shard-1', 'shard-2']);
    for (const d of deployments) {
      expect(
        d.spec.template.spec.containers[0]?.env.filter((e) => e.name === 'GITCANARY_SHARD'),
      ).toHaveLength(1);
      // No Deployment's selector takes another one's pods.
      for (const other of deployments.filter((o) => o !== d))
        expect(matches(d.spec.selector.matchLabels, other.spec.template.metadata.labels)).toBe(false);
    }
    const role = objects.find((o) => o.kind === 'Role') as Unstructured & {
      rules: { resourceNames?: string[]; verbs: string[] }[];
    };
    const renewable = role.rules.find((r) => r.verbs.includes('update'))?.resourceNames;
    expect(renewable?.sort()).toEqual(shards.map((shard) => leaseName(shard)).sort());
  });

  it('is deploy/ with the shards added: the same objects otherwise, all accepted by the API server', async () => {
    const [sharded, plain] = await Promise.all([build('deploy/shards'), build('deploy')]);
    const key = (o: Unstructured) => `${o.kind}/${o.metadata.name}`;

    expect(sharded.map(key).filter((k) => !/-shard-\d$/u.test(k))).toEqual(plain.map(key));
    const ns = await createTestNamespace(testKubeConfig(), 'shards');
    for (const object of sharded) {
      if (object.kind === 'Namespace') continue;
      const moved = JSON.parse(
        JSON.stringify(object).replaceAll('"gitcanary-system"', `"${ns}"`),
      ) as Unstructured;
      const { status, body } = await kube.apply(moved, {
        fieldManager: 'shards-test',
        force: true,
        fieldValidation: 'Strict',
        dryRun: true,
      });
      expect([200, 201], `${key(object)}: ${messageOf(body)}`).toContain(status);
    }
  });
});
