// What a Canary's kustomization must not do to the generated file: kustomize transformers that rewrite the
// generated Services' selectors or the objects' names. A label put into a selector is undone by gitcanary's
// next apply and redone by the tool's (they rewrite it forever); a renamed Service leaves the route's
// backendRefs pointing at nothing. Each is an error in `validate`, naming what to write instead.
import { load } from 'js-yaml';
import type { ManifestError } from './manifests/manifest-error.js';
import { isRecord } from './manifests/is-record.js';

interface Refused {
  field: string;
  message: string;
}

/** The transformers of a kustomization file that would rewrite the generated objects, as errors. */
export function refusedTransformers(path: string, text: string, canary: string): ManifestError[] {
  let document: unknown;
  try {
    document = load(text);
  } catch {
    return []; // kustomize itself reports a file it cannot read
  }
  if (!isRecord(document)) return [];
  return refusals(document).map(({ field, message }) => ({
    code: 'ManifestInvalid',
    file: path,
    document: 0,
    field,
    message: `${message} (it would rewrite the objects gitcanary generates for ${canary})`,
    canary,
  }));
}

function refusals(kustomization: Record<string, unknown>): Refused[] {
  const refused: Refused[] = [];
  if (kustomization.commonLabels !== undefined)
    refused.push({
      field: 'commonLabels',
      message:
        'commonLabels also puts its labels into selectors; use `labels: [{pairs: {…}, includeSelectors: false}]` instead',
    });
  const labels = Array.isArray(kustomization.labels) ? kustomization.labels : [];
  labels.forEach((entry, i) => {
    if (isRecord(entry) && entry.includeSelectors === true)
      refused.push({
        field: `labels[${i}].includeSelectors`,
        message: 'labels with includeSelectors: true rewrite selectors; set includeSelectors: false',
      });
  });
  for (const field of ['namePrefix', 'nameSuffix'] as const) {
    if (kustomization[field] !== undefined)
      refused.push({
        field,
        message: `${field} renames the generated Services but not the route's backendRefs; write the full name in metadata.name of the target Service and the Canary instead`,
      });
  }
  return refused;
}
