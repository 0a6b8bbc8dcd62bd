// The traffic of a step, derived from the rollout state: the canary's weight, whether requests are mirrored,
// and the session affinity cookies. Cookie values come from the revisions, not from randomness, so the
// same state always renders the same route (and a restart changes nothing).
import type { CanarySpec, RolloutState } from './model.js';
import type { SessionCookies, Traffic } from './routers/router.js';

export function trafficOf(canary: CanarySpec, state: RolloutState): Traffic {
  const cookies = sessionCookies(canary, state);
  return {
    weight: state.canaryWeight,
    mirrored: state.mirrored ?? false,
    ...(cookies ? { cookies } : {}),
  };
}

function sessionCookies(canary: CanarySpec, state: RolloutState): SessionCookies | undefined {
  const affinity = canary.analysis.sessionAffinity;
  if (!affinity) return undefined;
  if (state.canaryWeight > 0) {
    return {
      canary: `${affinity.cookieName}=${state.revision}`,
      ...(affinity.primaryCookieName
        ? { primary: `${affinity.primaryCookieName}=${state.lastPromotedRevision}` }
        : {}),
    };
  }
  // After a run, visitors still carrying its canary cookie get it expired.
  if (state.phase === 'Succeeded' || state.phase === 'Failed') {
    return { expired: `${affinity.cookieName}=${state.revision}` };
  }
  return undefined;
}
