// The GitOps tools' own objects for a test repository, made from the shipped examples (examples/flux/,
// examples/argocd/) with only their identity changed: name, namespace, repository, path. So the emulated
// tools (gitops-emulator.ts) run with the settings the docs recommend, and --notify annotates the same kinds.
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import type { Unstructured } from './raw-kube.js';

export interface ToolObjectsOptions {
  tool: 'flux' | 'argocd';
  /** The Kustomization / Application (and, for Flux, its GitRepository), in `namespace`. */
  name: string;
  namespace: string;
  git: { url: string; branch?: string };
  /** The app folder in the repository. */
  path: string;
  /** As in the examples (true) unless given. */
  prune?: boolean;
  /** Flux's source interval. */
  intervalSeconds: number;
}

type Spec = Record<string, unknown>;

const examples = {
  flux: 'examples/flux/podinfo.yaml',
  argocd: 'examples/argocd/podinfo.yaml',
} as const;

/** Flux's GitRepository and Kustomization, or Argo CD's Application, as in the examples. */
export function toolObjects(options: ToolObjectsOptions): Unstructured[] {
  const { tool, name, namespace, git, path } = options;
  const branch = git.branch ?? 'main';
  const objects = (loadAll(readFileSync(examples[tool], 'utf8')) as Unstructured[]).map(
    (o): Unstructured => ({ ...o, metadata: { name, namespace } }),
  );
  for (const object of objects) {
    const spec = object.spec as Spec;
    if (object.kind === 'GitRepository') {
      Object.assign(spec, { url: git.url, ref: { branch }, interval: `${options.intervalSeconds}s` });
      delete spec.secretRef;
    } else if (object.kind === 'Kustomization') {
      Object.assign(spec, { path: `./${path}`, sourceRef: { kind: 'GitRepository', name } });
      if (options.prune !== undefined) spec.prune = options.prune;
    } else if (object.kind === 'Application') {
      Object.assign(spec, {
        source: { repoURL: git.url, targetRevision: branch, path },
        destination: { server: 'https://kubernetes.default.svc', namespace },
      });
      const automated = (spec.syncPolicy as { automated: Spec }).automated;
      if (options.prune !== undefined) automated.prune = options.prune;
    }
  }
  return objects;
}

/** Whether the tool's object prunes: Flux's `spec.prune`, Argo CD's `spec.syncPolicy.automated.prune`. */
export function prunes(objects: readonly Unstructured[]): boolean {
  const kustomization = objects.find((o) => o.kind === 'Kustomization')?.spec as Spec | undefined;
  if (kustomization) return kustomization.prune === true;
  const application = objects.find((o) => o.kind === 'Application')?.spec as
    { syncPolicy?: { automated?: { prune?: boolean }; syncOptions?: string[] } } | undefined;
  return application?.syncPolicy?.automated?.prune === true;
}

/** The Application's sync options (empty for Flux). */
export function syncOptions(objects: readonly Unstructured[]): string[] {
  const application = objects.find((o) => o.kind === 'Application')?.spec as
    { syncPolicy?: { syncOptions?: string[] } } | undefined;
  return application?.syncPolicy?.syncOptions ?? [];
}
