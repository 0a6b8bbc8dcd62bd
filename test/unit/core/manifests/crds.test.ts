// The CRDs are hand-written YAML; these checks keep them consistent with each other and with the types the
// code reads. Applying them to a real API server is the integration suite's job.
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { Phase, RolloutState } from '../../../../src/core/model.js';
import { ACCEPTED_PROVIDERS, GITCANARY_V1ALPHA1 } from '../../../../src/core/manifests/canary-schema.js';
import { parseDuration } from '../../../../src/core/manifests/duration.js';
import { canaryCrd } from '../../../../src/core/manifests/canary-crd.js';

interface Schema {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
}

interface CustomResourceDefinition {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; listKind: string; plural: string; singular: string };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      additionalPrinterColumns?: { name: string; jsonPath: string }[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}

function loadCrd(name: string): CustomResourceDefinition {
  return load(readFileSync(`deploy/crds/${name}.yaml`, 'utf8')) as CustomResourceDefinition;
}

function specSchema(crd: CustomResourceDefinition): Schema {
  const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;
  if (spec === undefined) throw new Error(`${crd.metadata.name} has no spec schema`);
  return spec;
}

// Records over the union make the compiler fail when model.ts gains a phase or field the CRD lacks.
const phases: Record<Phase, true> = {
  Initializing: true,
  Initialized: true,
  Waiting: true,
  Progressing: true,
  WaitingPromotion: true,
  Promoting: true,
  Finalising: true,
  Succeeded: true,
  Failed: true,
};
const rolloutStateFields: Record<keyof RolloutState, true> = {
  phase: true,
  canaryWeight: true,
  iteration: true,
  failedChecks: true,
  revision: true,
  lastPromotedRevision: true,
  lastStepTime: true,
  lastChecks: true,
  mirrored: true,
  liveSince: true,
  checksum: true,
  revertOnDeletion: true,
  removed: true,
  restored: true,
  message: true,
};

describe('gitcanary CRDs', () => {
  it.each([
    ['canaries.gitcanary.dev', 'Canary', 'canaries', 'canary'],
    ['canarystates.gitcanary.dev', 'CanaryState', 'canarystates', 'canarystate'],
  ])('%s names one namespaced v1alpha1 kind consistently', (file, kind, plural, singular) => {
    const crd = loadCrd(file);

    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
    expect(crd.metadata.name).toBe(file);
    expect(crd.spec.group).toBe('gitcanary.dev');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind, plural, singular, listKind: `${kind}List` });
    expect(crd.spec.versions.map(({ name, served, storage }) => ({ name, served, storage }))).toEqual([
      { name: 'v1alpha1', served: true, storage: true },
    ]);
  });

  it('serves the Canary apiVersion the manifest parser reads as ours', () => {
    const crd = loadCrd('canaries.gitcanary.dev');

    const apiVersion = `${crd.spec.group}/${crd.spec.versions[0]?.name}`;

    expect(apiVersion).toBe(GITCANARY_V1ALPHA1);
  });

  it('is the Canary CRD generated from the field classification (npm run generate)', () => {
    expect(loadCrd('canaries.gitcanary.dev')).toEqual(canaryCrd());
  });

  it('accepts exactly the providers the parser accepts', () => {
    const spec = specSchema(loadCrd('canaries.gitcanary.dev'));

    expect(spec.properties?.provider?.enum).toEqual([...ACCEPTED_PROVIDERS]);
  });

  it.each([
    ['30s', true],
    ['1m30s', true],
    ['1.5h', true],
    ['500ms', true],
    ['.5s', true],
    ['30', false],
    ['s', false],
    ['1 m', false],
    ['5d', false],
    ['-1m', false],
  ])(
    'matches interval %j in the CRD pattern only when the parser reads it as positive (%s)',
    (text, valid) => {
      const pattern = specSchema(loadCrd('canaries.gitcanary.dev')).properties?.analysis?.properties?.interval
        ?.pattern;
      let parsesAsPositive: boolean;
      try {
        parsesAsPositive = parseDuration(text) > 0;
      } catch {
        parsesAsPositive = false;
      }

      const matches = new RegExp(pattern ?? '(no pattern)', 'u').test(text);

      expect(matches).toBe(valid);
      expect(parsesAsPositive).toBe(valid);
    },
  );

  it('lists every phase of the state machine in the CanaryState phase enum', () => {
    const spec = specSchema(loadCrd('canarystates.gitcanary.dev'));

    expect(spec.properties?.phase?.enum).toEqual(Object.keys(phases));
  });

  it('describes every field of the rollout state, and no other', () => {
    const spec = specSchema(loadCrd('canarystates.gitcanary.dev'));

    expect(Object.keys(spec.properties ?? {}).sort()).toEqual(Object.keys(rolloutStateFields).sort());
    expect(spec.required?.every((field) => field in rolloutStateFields)).toBe(true);
  });

  it.each(['canaries.gitcanary.dev', 'canarystates.gitcanary.dev'])(
    'points every printer column of %s at a field of its schema',
    (file) => {
      const crd = loadCrd(file);
      const spec = specSchema(crd);

      const specPaths = (crd.spec.versions[0]?.additionalPrinterColumns ?? [])
        .map((column) => column.jsonPath)
        .filter((path) => path.startsWith('.spec.'));

      expect(specPaths.length).toBeGreaterThan(0);
      for (const path of specPaths) {
        const schema = path
          .slice('.spec.'.length)
          .split('.')
          .reduce<Schema | undefined>((node, key) => node?.properties?.[key], spec);
        expect(schema, path).toBeDefined();
      }
    },
  );
});
