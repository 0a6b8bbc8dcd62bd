// The generated file is gitcanary's to write. Its state records a checksum of the two Service specs it wrote;
// a spec that no longer matches was edited by hand in git, and applying it would release something no
// analysis judged. It is undone from the target when the target still holds that spec, else refused.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { GeneratedFile } from './generated-file.js';
import type { CanarySpec, RolloutState, ServiceManifest } from './model.js';
import { revisionOf } from './revision.js';
import { portableServiceSpec } from './service-spec.js';

/** The checksum of the primary and canary specs as gitcanary writes them. */
export function specChecksum(primarySpec: unknown, canarySpec: unknown): string {
  const text = canonicalJson([portableServiceSpec(primarySpec), portableServiceSpec(canarySpec)]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

type HandEdit =
  | { kind: 'none' }
  | { kind: 'undone'; primarySpec: unknown; canarySpec: unknown; edited: string[] }
  | { kind: 'refused'; edited: string[] };

/**
 * Whether the committed Services were edited by hand, and what gitcanary can put back: a spec of the revision
 * the state names, taken from the target when the target still holds that revision.
 */
export function findHandEdit(
  previous: GeneratedFile,
  target: ServiceManifest,
  canarySpec: CanarySpec,
): HandEdit {
  const { state, primary, canary } = previous;
  if (!state.checksum || state.checksum === specChecksum(primary.spec, canary.spec)) return { kind: 'none' };
  // A trafficDistribution the Canary sets is gitcanary's addition, not part of the target's revision.
  const added = canarySpec.service.trafficDistribution;
  const revision = (spec: unknown) => {
    const copy = { ...(spec as Record<string, unknown>) };
    if (added) delete copy.trafficDistribution;
    return revisionOf({ ...primary, spec: copy });
  };
  const targetRevision = revisionOf(target.object);
  const primaryRevision = primaryRevisionOf(state);
  const primaryIntact = revision(primary.spec) === primaryRevision;
  const canaryIntact = revision(canary.spec) === state.revision;
  const edited = [
    primaryIntact ? undefined : primary.metadata.name,
    canaryIntact ? undefined : canary.metadata.name,
  ].filter((name): name is string => name !== undefined);
  const names = edited.length > 0 ? edited : [primary.metadata.name, canary.metadata.name];
  const primarySpec = primaryIntact ? primary.spec : fromTarget(primaryRevision);
  const canarySpecNow = canaryIntact ? canary.spec : fromTarget(state.revision);
  if (primarySpec === undefined || canarySpecNow === undefined) return { kind: 'refused', edited: names };
  return { kind: 'undone', primarySpec, canarySpec: canarySpecNow, edited: names };

  function fromTarget(revision: string): unknown {
    return revision === targetRevision ? target.object.spec : undefined;
  }
}

/** Why a refused hand edit stalls the Canary, said the same by `reconcile` and `status`. */
export function refusedHandEditMessage(path: string, edited: readonly string[]): string {
  return `${path}: ${edited.join(' and ')} edited by hand in git, and the target no longer holds what it should; gitcanary writes this file: revert the edit`;
}

/** The revision the primary holds: the promoted one, or during a promotion the one being promoted. */
function primaryRevisionOf(state: RolloutState): string {
  return state.phase === 'Promoting' || state.phase === 'Finalising'
    ? state.revision
    : state.lastPromotedRevision;
}
