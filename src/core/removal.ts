// A Canary deleted from git while its generated file remains: the release it was running must not freeze at
// its last weight. gitcanary routes all traffic back to the primary (the canary Service takes the primary's
// spec, and each route sends everything to the primary) and commits it; with `revertOnDeletion` (kept in the
// state, since the Canary is gone) it deletes the generated file and what it generated instead, routes first
// so that no route is left pointing at a Service that is gone.
import type { CanaryPlan } from './plan-rollout.js';
import { parseOrphanedFile, renderGeneratedFile, type GeneratedFile } from './generated-file.js';
import type { KubeObject } from './model.js';
import { routerOwning } from './routers/router-registry.js';

export function planRemoval(path: string, content: string, now: Date): CanaryPlan | undefined {
  const parsed = parseOrphanedFile(content);
  if (!parsed) return undefined;
  const { owner, file } = parsed;
  const key = `${owner.namespace}/${owner.name}`;
  const quiet = (desired: KubeObject[]): CanaryPlan => ({
    kind: 'plan',
    canary: key,
    path,
    otherChanges: [],
    state: file.state,
    desired,
    events: [],
    continueImmediately: false,
    waiting: 'canary removed from git',
  });
  if (file.state.revertOnDeletion) {
    const title = `${owner.name}: canary removed, the objects it generated deleted (revertOnDeletion)`;
    return {
      ...quiet([]),
      remove: true,
      commitMessage: trailers(title, key, file),
      deletions: [...file.routes, file.canary, file.primary],
      events: [{ reason: 'Synced', message: title }],
    };
  }
  // Said and applied once; the file stays as it is until someone deletes it.
  if (file.state.removed) return quiet([]);

  const services = { primary: file.primary.metadata.name, canary: file.canary.metadata.name };
  const toPrimary: GeneratedFile = {
    state: {
      ...file.state,
      canaryWeight: 0,
      removed: now.toISOString(),
      message: 'canary removed from git: all traffic to the primary',
    },
    primary: file.primary,
    // The canary Service serves what the primary serves, whatever a route not rewritten below still sends it.
    canary: { ...file.canary, spec: file.primary.spec },
    routes: file.routes.map((route) => routerOwning(route)?.toPrimary(route, services) ?? route),
  };
  const title = `${owner.name}: canary removed, traffic to primary`;
  return {
    ...quiet([toPrimary.primary, toPrimary.canary, ...toPrimary.routes]),
    state: toPrimary.state,
    content: renderGeneratedFile(owner, toPrimary),
    commitMessage: trailers(title, key, toPrimary),
    events: [{ reason: 'Synced', message: title }],
  };
}

function trailers(title: string, key: string, file: GeneratedFile): string {
  const { state } = file;
  return `${title}\n\nCanary: ${key}\nCanary-Phase: ${state.phase}\nCanary-Weight: ${state.canaryWeight}\nCanary-Revision: ${state.revision}\n`;
}
