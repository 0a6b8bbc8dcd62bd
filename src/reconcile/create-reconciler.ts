// The one way to build a Reconciler: callers name the repository and the cluster and only the options in
// which they differ from a plain `gitcanary reconcile` (apply, whole repository, namespace `default`).
import { pino } from 'pino';
import type { ReconcilerOptions } from './context.js';
import { Reconciler } from './reconciler.js';

/** The author of gitcanary's commits unless --author-name / --author-email say otherwise. */
export const DEFAULT_AUTHOR: Readonly<ReconcilerOptions['author']> = {
  name: 'gitcanary',
  email: 'gitcanary@localhost',
};

export type ReconcilerSetup = Pick<ReconcilerOptions, 'repo' | 'cluster'> &
  Partial<Omit<ReconcilerOptions, 'repo' | 'cluster'>>;

/** A Reconciler with the CLI's defaults, the wall clock, and a silent logger unless one is given. */
export function createReconciler(setup: ReconcilerSetup): Reconciler {
  return new Reconciler({
    ...setup,
    applies: setup.applies ?? true,
    root: setup.root ?? '',
    defaultNamespace: setup.defaultNamespace ?? 'default',
    author: setup.author ?? { ...DEFAULT_AUTHOR },
    clock: setup.clock ?? (() => new Date()),
    logger: setup.logger ?? pino({ level: 'silent' }),
  });
}
