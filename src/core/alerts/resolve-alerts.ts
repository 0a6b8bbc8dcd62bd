// Joins a Canary's `analysis.alerts` with the AlertProvider documents they name. A problem (a bad entry, a
// provider that is missing or defined twice) is reported as a manifest error for `validate` and the logs,
// and that alert is left out; the Canary itself is never held back by its alerts.
import type { CanarySpec } from '../model.js';
import { FLAGGER_V1ALPHA3 } from '../manifests/canary-schema.js';
import type { ManifestError } from '../manifests/manifest-error.js';
import type { AlertProvider, AlertProviderManifest } from './alert-provider.js';
import { parseCanaryAlerts, type CanaryAlert } from './parse-alerts.js';

export interface ResolvedAlert {
  alert: CanaryAlert;
  provider: AlertProvider;
}

/** Appends the problems to `errors` (without a `canary`, so they stall nothing) and returns what resolved. */
export function resolveAlerts(
  canary: CanarySpec,
  providers: ReadonlyMap<string, readonly AlertProviderManifest[]>,
  errors: ManifestError[],
): ResolvedAlert[] {
  const at = canary.apiVersion === FLAGGER_V1ALPHA3 ? 'spec.canaryAnalysis' : 'spec.analysis';
  const key = `${canary.namespace}/${canary.name}`;
  const report = (field: string, message: string) =>
    errors.push({ code: 'ManifestInvalid', ...canary.source, field, message: `${message} (Canary ${key})` });
  const { alerts, issues } = parseCanaryAlerts(canary, at);
  for (const issue of issues) report(issue.field, issue.message);
  const resolved: ResolvedAlert[] = [];
  for (const alert of alerts) {
    const ref = `${alert.providerRef.namespace}/${alert.providerRef.name}`;
    const found = providers.get(ref) ?? [];
    const [only] = found;
    if (!only) report(`${alert.field}.providerRef`, `AlertProvider ${ref} is not defined in the repository`);
    else if (found.length > 1) {
      const where = found.map((p) => `${p.source.file}#${p.source.document + 1}`).join(', ');
      report(`${alert.field}.providerRef`, `AlertProvider ${ref} is defined more than once: ${where}`);
    } else resolved.push({ alert, provider: only.provider });
  }
  return resolved;
}
