import { describe, expect, it } from 'vitest';
import { stagingModules } from '../../support/control-plane-binaries.js';
import { stagingVersion } from '../../support/component-versions.js';

describe('stagingModules', () => {
  it('lists the modules replaced by ./staging paths, in both replace forms, and nothing else', () => {
    const goMod = [
      'module k8s.io/kubernetes',
      'replace k8s.io/api => ./staging/src/k8s.io/api',
      'replace (',
      '\tk8s.io/client-go => ./staging/src/k8s.io/client-go',
      '\tk8s.io/apimachinery => ./staging/src/k8s.io/apimachinery',
      '\tgithub.com/example/fork => github.com/example/fork v1.2.3',
      ')',
    ].join('\n');

    expect(stagingModules(goMod)).toEqual(['k8s.io/api', 'k8s.io/apimachinery', 'k8s.io/client-go']);
  });
});

describe('stagingVersion', () => {
  it.each([
    ['v1.34.4', 'v0.34.4'],
    ['v1.30.0', 'v0.30.0'],
  ])('maps Kubernetes %s to staging %s', (kubernetes, staging) => {
    expect(stagingVersion(kubernetes)).toBe(staging);
  });

  it('refuses a pre-release or malformed version', () => {
    expect(() => stagingVersion('v1.35.0-rc.1')).toThrow(/not a released Kubernetes version/);
  });
});
