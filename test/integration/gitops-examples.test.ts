import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { loadAll } from 'js-yaml';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { addReconcilerOptions, type ReconcilerFlags } from '../../src/cli/reconciler-config.js';
import { RawKube, messageOf, type Unstructured } from '../support/raw-kube.js';
import { createTestNamespace, testKubeConfig } from '../support/test-namespace.js';

// examples/flux/ and examples/argocd/ as written, applied to the test API server with strict field validation
// against the tools' real CRDs (only their namespaces moved into a test namespace), and the gitcanary install
// each one comes with, built by the real kustomize.
const kube = new RawKube(inject('controlPlane'));
const kc = testKubeConfig();
const execFileAsync = promisify(execFile);
afterAll(() => kube.close());

const examples = [
  { dir: 'examples/flux', namespace: 'flux-system', target: { tool: 'flux', kind: 'GitRepository' } },
  { dir: 'examples/argocd', namespace: 'argocd', target: { tool: 'argocd', kind: 'Application' } },
] as const;

/** Server-side apply as written, with fieldValidation=Strict; the API server's answer. */
async function applyStrictly(object: Unstructured, dryRun = false) {
  return kube.apply(object, {
    fieldManager: 'examples-test',
    force: true,
    fieldValidation: 'Strict',
    dryRun,
  });
}

async function kustomizeBuild(dir: string): Promise<Unstructured[]> {
  const { stdout } = await execFileAsync(inject('kustomizeBinary'), ['build', dir], { maxBuffer: 16 << 20 });
  return loadAll(stdout) as Unstructured[];
}

describe.each(examples)('$dir', ({ dir, namespace, target }) => {
  it('podinfo.yaml is accepted as written by the real CRDs, with strict field validation, and kept whole', async () => {
    const ns = await createTestNamespace(kc, 'examples');
    const text = (await readFile(`${dir}/podinfo.yaml`, 'utf8')).replaceAll(
      `namespace: ${namespace}`,
      `namespace: ${ns}`,
    );

    for (const object of loadAll(text) as Unstructured[]) {
      const { status, body } = await applyStrictly(object);

      expect(status, messageOf(body)).toBe(201);
      expect((body as Unstructured).spec).toMatchObject(object.spec as object);
    }
  });

  it('gitcanary/ is deploy/ in commit-only mode, asking for the example’s own object, valid as built', async () => {
    const ns = await createTestNamespace(kc, 'examples');
    const objects = await kustomizeBuild(`${dir}/gitcanary`);
    const deployment = objects.find((o) => o.kind === 'Deployment') as Unstructured & {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    const args = deployment.spec.template.spec.containers[0]?.args ?? [];
    let flags: ReconcilerFlags | undefined;
    const [command, ...options] = args;
    await addReconcilerOptions(new Command('run'))
      .action((parsed: ReconcilerFlags) => {
        flags = parsed;
      })
      .parseAsync(options, { from: 'user' });
    const own = (loadAll(await readFile(`${dir}/podinfo.yaml`, 'utf8')) as Unstructured[]).find(
      (o) => o.kind === target.kind,
    );

    expect(command).toBe('run');
    expect(flags?.apply).toBe(false);
    expect(flags?.notify).toEqual([{ tool: target.tool, namespace, name: own?.metadata.name }]);
    for (const object of objects) {
      // Cluster-scoped objects as they are (a dry run); the rest in the test namespace.
      if (object.kind === 'Namespace') continue;
      const moved = JSON.parse(
        JSON.stringify(object).replaceAll('"gitcanary-system"', `"${ns}"`),
      ) as Unstructured;
      const { status, body } = await applyStrictly(moved, true);
      expect([200, 201], `${object.kind}/${object.metadata.name}: ${messageOf(body)}`).toContain(status);
    }
  });
});
