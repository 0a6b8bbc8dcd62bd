// The CRDs are hand-written: these keep what they accept for alerts equal to what the parser reads.
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ALERT_PROVIDER_TYPES } from '../../../../src/core/alerts/alert-provider.js';
import { ALERT_SEVERITIES } from '../../../../src/core/alerts/parse-alerts.js';

interface Schema {
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
}
interface Crd {
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; plural: string };
    versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
  };
}

const crd = (name: string) => load(readFileSync(`deploy/crds/${name}.yaml`, 'utf8')) as Crd;
const spec = (c: Crd) => c.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;

describe('alert CRDs', () => {
  it('serves AlertProvider as gitcanary.dev/v1alpha1 with the provider types the parser reads', () => {
    const providers = crd('alertproviders.gitcanary.dev');

    expect(`${providers.spec.group}/${providers.spec.versions[0]?.name}`).toBe('gitcanary.dev/v1alpha1');
    expect(providers.metadata.name).toBe(`${providers.spec.names.plural}.${providers.spec.group}`);
    expect(spec(providers)?.properties?.type?.enum).toEqual([...ALERT_PROVIDER_TYPES]);
    expect(Object.keys(spec(providers)?.properties ?? {})).toEqual([
      'type',
      'channel',
      'username',
      'address',
      'proxy',
      'secretRef',
    ]);
    // Installed with the others: deploy/ (and deploy/shards/) include deploy/crds/, which lists it.
    expect(readFileSync('deploy/kustomization.yaml', 'utf8')).toMatch(/^ {2}- crds$/mu);
    expect(readFileSync('deploy/crds/kustomization.yaml', 'utf8')).toContain(
      '  - alertproviders.gitcanary.dev.yaml',
    );
  });

  it('keeps analysis.alerts of a Canary, with the severities the parser reads', () => {
    const alerts = spec(crd('canaries.gitcanary.dev'))?.properties?.analysis?.properties?.alerts?.items;

    expect(alerts?.properties?.severity?.enum).toEqual(['', ...ALERT_SEVERITIES]);
    // No `required`: the CRD never refuses a Canary gitcanary reads, and a bad alert does not stop a Canary.
    expect(alerts?.required).toBeUndefined();
  });
});
