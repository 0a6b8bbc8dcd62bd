// `gitcanary approve|abort|pause|resume <canary>`: gates as commits. Each edits one annotation of the
// Canary in git; the reconciler acts on it at its next pass.
import { Command } from 'commander';
import { annotations } from '../../core/gates.js';
import type { CanarySpec, RolloutState } from '../../core/model.js';
import { annotateCanary, type AnnotationChange } from '../../reconcile/annotate-canary.js';
import {
  addReconcilerOptions,
  ConfigError,
  createRepository,
  type ReconcilerFlags,
} from '../reconciler-config.js';

type Decide = (
  canary: CanarySpec,
  state: RolloutState | undefined,
  revision: string | undefined,
) => AnnotationChange;

const revisionOf = (state: RolloutState | undefined, given: string | undefined, verb: string): string => {
  const revision = given ?? state?.revision;
  if (!revision)
    throw new ConfigError(`nothing to ${verb}: the Canary has no state in git yet; pass --revision`);
  return revision;
};

const gates: { name: string; description: string; takesRevision: boolean; decide: Decide }[] = [
  {
    name: 'approve',
    description: 'approve the promotion of the revision under analysis (sets gitcanary.dev/approve)',
    takesRevision: true,
    decide: (_, state, given) => {
      const revision = revisionOf(state, given, 'approve');
      return { key: annotations.approve, value: revision, subject: `approve promotion of ${revision}` };
    },
  },
  {
    name: 'abort',
    description: 'roll back the revision under analysis (sets gitcanary.dev/abort)',
    takesRevision: true,
    decide: (_, state, given) => {
      const revision = revisionOf(state, given, 'abort');
      return { key: annotations.abort, value: revision, subject: `abort ${revision}` };
    },
  },
  {
    name: 'pause',
    description: 'hold the analysis where it is (sets gitcanary.dev/paused)',
    takesRevision: false,
    decide: () => ({ key: annotations.paused, value: 'true', subject: 'pause' }),
  },
  {
    name: 'resume',
    description: 'let a paused analysis go on (removes gitcanary.dev/paused)',
    takesRevision: false,
    decide: () => ({ key: annotations.paused, value: undefined, subject: 'resume' }),
  },
];

export function gateCommands(): Command[] {
  return gates.map((gate) => {
    const command = new Command(gate.name)
      .description(`${gate.description}; a commit to the Canary's file, never a cluster write`)
      .argument('<canary>', 'namespace/name, or name in --default-namespace');
    if (gate.takesRevision)
      command.option('--revision <rev>', 'the revision (default: the one in the state)');
    return addReconcilerOptions(command).action(
      async (canary: string, flags: ReconcilerFlags & { revision?: string }) => {
        const result = await annotateCanary({
          repo: await createRepository(flags),
          root: flags.path,
          defaultNamespace: flags.defaultNamespace,
          canary,
          change: (spec, state) => gate.decide(spec, state, flags.revision),
          author: { name: flags.authorName, email: flags.authorEmail },
          clock: () => new Date(),
        });
        process.stdout.write(
          result.commit
            ? `${result.subject}: committed ${result.commit.slice(0, 12)} to ${result.file}\n`
            : `${result.subject}: already so in ${result.file}, nothing committed\n`,
        );
      },
    );
  });
}
