// Finds the Ingress a Canary's `ingressRef` names among the repository's, and checks that it can carry a
// release of a Service target. The Ingress is the person's: gitcanary never writes it, only copies it into
// the canary Ingress. It must send to `<target>-primary`, not to the target: the target Service holds the
// new release from the moment it is merged, so an Ingress sending to it would hand every request to the
// release under analysis (Flagger's Service targets have this flaw; see docs/routers.md).
import type { CanarySpec, KubeObject, SourceRef } from '../model.js';
import { primaryName } from '../generated-objects.js';
import { isRecord } from './is-record.js';
import type { ManifestError } from './manifest-error.js';
import { compareText, formatFieldPath } from './manifest-error.js';
import type { IngressManifest } from './parse-file.js';

type IngressResolution = { ok: true; ingress: IngressManifest } | { ok: false; errors: ManifestError[] };

/** A backend of the Ingress that names a Service, with the path of its `name` field. */
interface ServiceBackend {
  field: string;
  name: unknown;
}

/** `candidates`: the repository's Ingresses of the Canary's namespace with the name ingressRef gives. */
export function resolveIngressRef(
  canary: CanarySpec,
  candidates: readonly IngressManifest[],
): IngressResolution {
  const ref = canary.ingressRef;
  if (!ref) throw new Error('unreachable: resolveIngressRef without an ingressRef');
  const key = `${canary.namespace}/${canary.name}`;
  const onCanary = (message: string): IngressResolution => ({
    ok: false,
    errors: [
      { code: 'ManifestInvalid', ...canary.source, field: 'spec.ingressRef.name', message, canary: key },
    ],
  });
  const [ingress, ...others] = candidates;
  const name = `Ingress ${canary.namespace}/${ref.name}`;
  if (!ingress) {
    return onCanary(`${name} is not defined in the repository (as networking.k8s.io/v1)`);
  }
  if (others.length > 0) {
    const where = candidates
      .map((c) => location(c.source))
      .sort(compareText)
      .join(', ');
    return onCanary(`${name} is defined more than once: ${where}`);
  }

  const onIngress = (field: string, message: string): ManifestError => ({
    code: 'ManifestInvalid',
    ...ingress.source,
    field,
    message,
    canary: key,
  });
  const backends = serviceBackends(ingress.object);
  if ('field' in backends) return { ok: false, errors: [onIngress(backends.field, backends.message)] };
  const primary = primaryName(canary);
  const errors = backends
    .filter((backend) => backend.name === canary.targetName)
    .map((backend) =>
      onIngress(
        backend.field,
        `sends to the target Service ${canary.targetName}, which holds the new release as soon as it is merged; send to ${primary}, which gitcanary keeps at the promoted release (the canary Ingress is made from this one)`,
      ),
    );
  if (errors.length > 0) return { ok: false, errors };
  if (!backends.some((backend) => backend.name === primary && backend.field.startsWith('spec.rules'))) {
    return {
      ok: false,
      errors: [
        onIngress(
          'spec.rules',
          `no path sends to ${primary}: the canary Ingress of Canary ${key} copies the paths that do`,
        ),
      ],
    };
  }
  return { ok: true, ingress };
}

/** Every Service backend of the Ingress's rules and its default backend, or the field that is malformed. */
function serviceBackends(ingress: KubeObject): ServiceBackend[] | { field: string; message: string } {
  const spec = isRecord(ingress.spec) ? ingress.spec : {};
  const found: ServiceBackend[] = [];
  const add = (backend: unknown, path: (string | number)[]) => {
    const service = isRecord(backend) ? backend.service : undefined;
    if (isRecord(service))
      found.push({ field: formatFieldPath([...path, 'service', 'name']), name: service.name });
  };
  add(spec.defaultBackend, ['spec', 'defaultBackend']);
  const rules = spec.rules ?? [];
  if (!Array.isArray(rules)) return { field: 'spec.rules', message: 'must be a list' };
  for (const [i, rule] of rules.entries()) {
    const http = isRecord(rule) ? rule.http : undefined;
    if (http === undefined || http === null) continue;
    const paths = isRecord(http) ? http.paths : undefined;
    if (!Array.isArray(paths)) {
      return { field: formatFieldPath(['spec', 'rules', i, 'http', 'paths']), message: 'must be a list' };
    }
    for (const [j, path] of paths.entries()) {
      add(isRecord(path) ? path.backend : undefined, ['spec', 'rules', i, 'http', 'paths', j, 'backend']);
    }
  }
  return found;
}

function location(source: SourceRef): string {
  return `${source.file}#${source.document + 1}`;
}
