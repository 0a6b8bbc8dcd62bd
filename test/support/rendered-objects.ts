// `gitcanary render` output taken to the real API server: what render.test.ts does for the Gateway API
// router, shared with the other routers' tests. Each rendered object is applied in a fresh namespace as
// gitcanary applies it, then again by a second manager without force, as a GitOps tool applying the same
// generated file would: a conflict fails the apply.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { renderCheckout } from '../../src/cli/commands/render.js';
import type { KubeObject } from '../../src/core/model.js';
import { createTestNamespace, testKubeConfig } from './test-namespace.js';

const kc = testKubeConfig();
const objects = KubernetesObjectApi.makeApiClient(kc);
const dirs: string[] = [];

/** A checkout holding `files` (path → text); removed by `removeCheckouts`. */
export async function checkout(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-render-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

export async function removeCheckouts(): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** The render of `dir` as objects; throws on any error (warnings are allowed). */
export async function render(
  dir: string,
  flags: { weight?: number; defaultProvider?: string } = {},
): Promise<KubeObject[]> {
  const { output, failed } = await renderCheckout(dir, {
    defaultNamespace: 'default',
    defaultProvider: flags.defaultProvider ?? 'kubernetes',
    output: 'json',
    ...(flags.weight !== undefined ? { weight: flags.weight } : {}),
  });
  const errors = output.stderr.split('\n').filter((l) => l && !l.includes(': warning: '));
  if (failed || errors.length > 0) throw new Error(`render failed:\n${errors.join('\n')}`);
  return (JSON.parse(output.stdout) as { items: KubeObject[] }).items;
}

const apply = (object: KubeObject, manager: string, force: boolean) =>
  objects.patch(object, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);

export interface AppliedObject {
  sent: KubeObject;
  /** What the API server returned to the second manager's apply. */
  stored: KubeObject;
}

/** Applies what gitcanary generates (not the state document) in a fresh namespace, then as a second manager. */
export async function applyRendered(items: KubeObject[]): Promise<AppliedObject[]> {
  const namespace = await createTestNamespace(kc, 'render');
  const generated = items
    .filter((o) => o.kind !== 'CanaryState')
    .map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
  const result: AppliedObject[] = [];
  for (const sent of generated) {
    await apply(sent, 'gitcanary', true);
    const stored = await apply(sent, 'kustomize-controller', false);
    result.push({ sent, stored });
  }
  return result;
}
