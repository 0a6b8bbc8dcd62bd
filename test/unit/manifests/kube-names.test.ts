import { describe, expect, it } from 'vitest';
import {
  annotationIssues,
  dns1035LabelProblem,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelIssues,
  labelValueProblem,
  qualifiedNameProblem,
} from '../../../src/core/manifests/kube-names.js';
import { parseManifestFile } from '../../../src/core/manifests/parse-file.js';

const valid = (problem: string | undefined) => problem === undefined;

describe('Kubernetes name rules', () => {
  it.each([
    ['podinfo', true, true, true],
    ['a', true, true, true],
    ['1podinfo', true, false, true],
    ['pod-info-2', true, true, true],
    ['podinfo.example', false, false, true],
    ['Podinfo', false, false, false],
    ['-podinfo', false, false, false],
    ['podinfo-', false, false, false],
    ['../x', false, false, false],
    ['a..b', false, false, false],
    ['', false, false, false],
    ['a'.repeat(63), true, true, true],
    ['a'.repeat(64), false, false, true],
  ])('%j: DNS-1123 label %s, DNS-1035 label %s, DNS-1123 subdomain %s', (name, label, l1035, subdomain) => {
    expect(valid(dns1123LabelProblem(name))).toBe(label);
    expect(valid(dns1035LabelProblem(name))).toBe(l1035);
    expect(valid(dns1123SubdomainProblem(name))).toBe(subdomain);
  });

  it('limits a subdomain to 253 characters, or to the length given', () => {
    expect(dns1123SubdomainProblem(`${'a'.repeat(63)}.`.repeat(4).slice(0, 254))).toMatch(
      /is 254 characters, over the limit of 253$/,
    );
    expect(dns1123SubdomainProblem('a'.repeat(64), 63)).toMatch(/over the limit of 63$/);
  });

  it.each([
    ['app', true],
    ['app.kubernetes.io/name', true],
    ['example.com/A_b.c-d', true],
    ['/name', false],
    ['a/b/c', false],
    ['Example.com/name', false],
    ['app_', false],
    [`example.com/${'a'.repeat(64)}`, false],
    ['', false],
  ])('label key %j is a qualified name: %s', (key, ok) => {
    expect(valid(qualifiedNameProblem(key))).toBe(ok);
  });

  it.each([
    ['', true],
    ['podinfo', true],
    ['v1.2_3-x', true],
    ['a b', false],
    ['-x', false],
    ['a'.repeat(64), false],
  ])('label value %j: %s', (value, ok) => {
    expect(valid(labelValueProblem(value))).toBe(ok);
  });

  it('reports each bad label with its field, and a value that is not a string', () => {
    expect(labelIssues({ ok: 'yes', 'bad key': 'x', app: 'a b', n: 1 }, 'metadata.labels')).toEqual([
      {
        field: 'metadata.labels["bad key"]',
        message: expect.stringMatching(/is not a qualified name/) as unknown,
      },
      { field: 'metadata.labels.app', message: expect.stringMatching(/is not a label value/) as unknown },
      { field: 'metadata.labels.n', message: 'must be a string' },
    ]);
  });

  it('limits all annotations of an object to 256 KiB, keys and values counted in UTF-8 bytes', () => {
    const justUnder = { note: 'x'.repeat(256 * 1024 - 4) };
    const over = { note: 'é'.repeat(128 * 1024) };

    expect(annotationIssues(justUnder, 'metadata.annotations')).toEqual([]);
    expect(annotationIssues(over, 'metadata.annotations')).toEqual([
      {
        field: 'metadata.annotations',
        message: "the annotations are 262,148 bytes, over the limit of 256 KiB of an object's annotations",
      },
    ]);
  });
});

const service = (metadata: string, spec = '  selector:\n    app: podinfo\n') =>
  `apiVersion: v1\nkind: Service\nmetadata:\n${metadata}spec:\n${spec}  ports:\n    - port: 80\n`;

const canary = (name: string, target = 'podinfo', service = '') => `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata:
  name: ${name}
spec:
  targetRef:
    kind: Service
    name: ${target}
  service:
    port: 80
${service}  analysis:
    interval: 1m
    iterations: 10
`;

describe('names checked while parsing', () => {
  const parse = (content: string) =>
    parseManifestFile('apps/x.yaml', content, { defaultNamespace: 'apps' }).errors.map((e) => ({
      line: e.line,
      field: e.field,
      message: e.message,
    }));

  it.each([
    ['a Canary named ../x', canary('"../x"'), 4, 'metadata.name', /is not a DNS-1123 subdomain/],
    [
      'a Canary name over 63',
      canary('a'.repeat(64)),
      4,
      'metadata.name',
      /64 characters, over the limit of 63/,
    ],
    ['a target with capitals', canary('podinfo', 'PodInfo'), 8, 'spec.targetRef.name', /DNS-1035/],
    [
      'a target whose -primary is over 63',
      canary('podinfo', 'a'.repeat(56)),
      8,
      'spec.targetRef.name',
      /would be 64 characters, over the limit of 63: the target's name can be at most 55$/,
    ],
    [
      'an apex name with a dot',
      canary('podinfo', 'podinfo', '    name: pod.info\n'),
      11,
      'spec.service.name',
      /DNS-1035/,
    ],
    [
      'a primary label value with a space',
      canary('podinfo', 'podinfo', '    primary:\n      labels:\n        tier: "a b"\n'),
      13,
      'spec.service.primary.labels.tier',
      /is not a label value/,
    ],
    [
      'a Service name over 63',
      service(`  name: ${'s'.repeat(64)}\n`),
      4,
      'metadata.name',
      /over the limit of 63/,
    ],
    [
      'a Service namespace with a slash',
      service('  name: podinfo\n  namespace: a/b\n'),
      5,
      'metadata.namespace',
      /DNS-1123 label/,
    ],
    [
      'a Service label key with two slashes',
      service('  name: podinfo\n  labels:\n    a/b/c: x\n'),
      6,
      'metadata.labels["a/b/c"]',
      /more than one '\/'/,
    ],
    [
      'a selector value with a space',
      service('  name: podinfo\n', '  selector:\n    app: "pod info"\n'),
      7,
      'spec.selector.app',
      /is not a label value/,
    ],
    [
      'an ExternalName host with an underscore',
      service('  name: podinfo\n', '  type: ExternalName\n  externalName: bad_host.example.com\n'),
      7,
      'spec.externalName',
      /is not a DNS-1123 subdomain/,
    ],
    [
      'a 1 MB annotation',
      service(`  name: podinfo\n  annotations:\n    note: ${'x'.repeat(1024 * 1024 - 200)}\n`),
      5,
      'metadata.annotations',
      /over the limit of 256 KiB/,
    ],
  ])('refuses %s at its line and field', (_, content, line, field, message) => {
    expect(parse(content)).toEqual([{ line, field, message: expect.stringMatching(message) as unknown }]);
  });

  it('accepts an ExternalName host that ends with a dot, and names at their limits', () => {
    expect(
      parse(
        `${service('  name: podinfo\n', '  type: ExternalName\n  externalName: api.example.com.\n')}---\n${canary('a'.repeat(63), 'a'.repeat(55))}`,
      ),
    ).toEqual([]);
  });
});
