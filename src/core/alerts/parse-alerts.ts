// A Canary's `analysis.alerts` (kept raw on CanarySpec), read with Flagger's meaning: each entry names an
// AlertProvider and the least severity it wants to hear of. `info` hears everything, `warn` hears warnings
// and errors, `error` only errors.
import { z } from 'zod';
import type { CanarySpec } from '../model.js';
import { formatFieldPath } from '../manifests/manifest-error.js';
import { mustBe, requiredWhenMissing, type FieldIssue } from '../analysis/parse-checks.js';

export const ALERT_SEVERITIES = ['info', 'warn', 'error'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface CanaryAlert {
  name: string;
  /** Where it is written, for errors: `spec.analysis.alerts[0]`. */
  field: string;
  severity: AlertSeverity;
  providerRef: { name: string; namespace: string };
}

const Name = z.string(mustBe('must be a string')).min(1, 'must not be empty');

const AlertEntry = z.object({
  name: Name,
  // Flagger's default is info; an empty string is "not set", as Go's zero value is.
  severity: z
    .enum(['', ...ALERT_SEVERITIES], { error: `must be one of ${ALERT_SEVERITIES.join(', ')}` })
    .nullish(),
  providerRef: z.object({ name: Name, namespace: Name.nullish() }),
});

type ParseAlertsResult = { alerts: CanaryAlert[]; issues: FieldIssue[] };

/** `at` is the path of the analysis block (analysisFieldOf). Invalid entries are left out and reported. */
export function parseCanaryAlerts(canary: CanarySpec, at: string): ParseAlertsResult {
  const issues: FieldIssue[] = [];
  const alerts: CanaryAlert[] = [];
  (canary.analysis.alerts ?? []).forEach((raw, index) => {
    const field = `${at}.alerts[${index}]`;
    const parsed = AlertEntry.safeParse(raw, { error: requiredWhenMissing });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const rest = formatFieldPath(issue.path);
        issues.push({ field: rest === '' ? field : `${field}.${rest}`, message: issue.message });
      }
      return;
    }
    const { name, severity, providerRef } = parsed.data;
    alerts.push({
      name,
      field,
      severity: severity || 'info',
      providerRef: { name: providerRef.name, namespace: providerRef.namespace ?? canary.namespace },
    });
  });
  return { alerts, issues };
}

const rank: Record<AlertSeverity, number> = { info: 0, warn: 1, error: 2 };

/** Whether an alert subscribed at `wanted` hears of something of `severity`. */
export function hears(wanted: AlertSeverity, severity: AlertSeverity): boolean {
  return rank[severity] >= rank[wanted];
}
