// `gitcanary render`: what a reconcile would generate for a Canary at one step of a release, with no cluster
// and no git server. The state is the committed one when the checkout has a generated file (else the one a
// first reconcile would commit), moved to the step asked for; the objects come from the same functions the
// planner uses, so a preview cannot drift from what is applied.
import { generatedFileFor, planRollout } from './plan-rollout.js';
import { parseGeneratedFile, renderGeneratedFile, type GeneratedFile } from './generated-file.js';
import type { ResolvedCanary } from './manifests/assemble.js';
import type { Phase, RolloutState } from './model.js';
import { revisionOf } from './revision.js';
import { nextWeight, strategyOf } from './weights.js';
import { emptyReport } from './analysis-report.js';

export interface RenderStep {
  /** The canary's weight; absent: the first step of the Canary's strategy. */
  weight?: number;
  /** The phase of the state document; absent: Progressing. */
  phase?: Phase;
}

interface RenderedCanary {
  file: GeneratedFile;
  /** The generated file's text, as gitcanary would commit it. */
  content: string;
}

/** A fixed time for a state that has none yet, so the same checkout always renders the same text. */
const RENDER_TIME = new Date(0);

export function renderStep(
  resolved: ResolvedCanary,
  committed: GeneratedFile | undefined,
  step: RenderStep,
): RenderedCanary {
  const { canary, target } = resolved;
  const base = committed ?? initialFile(resolved);
  const { analysis } = canary;
  const strategy = strategyOf(analysis, canary.provider);
  const weight =
    step.weight ?? (strategy === 'canary' ? nextWeight(analysis, 0) : strategy === 'ab' ? 100 : 0);
  const revision = revisionOf(target.object);
  const state: RolloutState = {
    ...base.state,
    phase: step.phase ?? 'Progressing',
    revision,
    canaryWeight: weight,
    iteration: strategy === 'canary' ? 0 : 1,
    failedChecks: 0,
    lastChecks: [],
    message: `rendered at weight ${weight}`,
  };
  delete state.mirrored;
  const file = generatedFileFor(
    canary,
    target.object,
    state,
    base.primary.spec,
    target.object.spec,
    resolved.references,
  );
  return { file, content: renderGeneratedFile(canary, file) };
}

function initialFile(resolved: ResolvedCanary): GeneratedFile {
  const plan = planRollout({
    now: RENDER_TIME,
    canary: resolved.canary,
    target: resolved.target,
    references: resolved.references,
    analysis: emptyReport,
    live: {},
    applies: true,
  });
  if (plan.kind !== 'plan' || plan.content === undefined)
    throw new Error('unreachable: a first plan initializes');
  const parsed = parseGeneratedFile(resolved.canary, plan.content);
  if (!parsed.ok) throw new Error(`unreachable: ${parsed.message}`);
  return parsed.file;
}
