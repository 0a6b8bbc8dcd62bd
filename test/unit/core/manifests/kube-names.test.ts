import { describe, expect, it } from 'vitest';
import {
  annotationIssues,
  dns1035LabelProblem,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelIssues,
  labelValueProblem,
  qualifiedNameProblem,
} from '../../../../src/core/manifests/kube-names.js';
import { parseManifestFile } from '../../../../src/core/manifests/parse-file.js';

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

/** A Service named podinfo whose spec is `spec` alone: its first line is line 6. */
const serviceSpec = (spec: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\nspec:\n${spec}`;

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
    [
      'a Service type that is not one of the four',
      serviceSpec('  type: Headless\n'),
      6,
      'spec.type',
      /"Headless" is not one of ClusterIP, NodePort, LoadBalancer, ExternalName/,
    ],
    [
      'a port of 0',
      serviceSpec('  ports:\n    - port: 0\n'),
      7,
      'spec.ports[0].port',
      /0 is not a port number: a whole number from 1 to 65535/,
    ],
    [
      'a port that is a string',
      serviceSpec('  ports:\n    - port: "80"\n'),
      7,
      'spec.ports[0].port',
      /"80" is not a port number/,
    ],
    [
      'a port without its number',
      serviceSpec('  ports:\n    - name: http\n'),
      7,
      'spec.ports[0].port',
      /^required$/,
    ],
    [
      'a targetPort of 70000',
      serviceSpec('  ports:\n    - port: 80\n      targetPort: 70000\n'),
      8,
      'spec.ports[0].targetPort',
      /70000 is not a port number/,
    ],
    [
      'a named targetPort of 16 characters',
      serviceSpec(`  ports:\n    - port: 80\n      targetPort: ${'h'.repeat(16)}\n`),
      8,
      'spec.ports[0].targetPort',
      /is not a port name: at most 15/,
    ],
    [
      'a named targetPort of digits only',
      serviceSpec('  ports:\n    - port: 80\n      targetPort: "8080"\n'),
      8,
      'spec.ports[0].targetPort',
      /"8080" is not a port name/,
    ],
    [
      'a named targetPort with two dashes',
      serviceSpec('  ports:\n    - port: 80\n      targetPort: a--b\n'),
      8,
      'spec.ports[0].targetPort',
      /is not a port name/,
    ],
    [
      'a protocol that is not TCP, UDP or SCTP',
      serviceSpec('  ports:\n    - port: 80\n      protocol: HTTP\n'),
      8,
      'spec.ports[0].protocol',
      /"HTTP" is not one of TCP, UDP, SCTP/,
    ],
    [
      'two ports, one without a name',
      serviceSpec('  ports:\n    - port: 80\n      name: http\n    - port: 81\n'),
      9,
      'spec.ports[1].name',
      /^required when a Service has more than one port$/,
    ],
    [
      'two ports of one name',
      serviceSpec('  ports:\n    - port: 80\n      name: http\n    - port: 81\n      name: http\n'),
      10,
      'spec.ports[1].name',
      /"http" is the name of another port/,
    ],
    [
      'a port name with capitals',
      serviceSpec('  ports:\n    - port: 80\n      name: HTTP\n'),
      8,
      'spec.ports[0].name',
      /is not a DNS-1123 label/,
    ],
    [
      'ports that are a mapping',
      serviceSpec('  ports:\n    port: 80\n'),
      6,
      'spec.ports',
      /must be a list of ports/,
    ],
    [
      'a gatewayRef named ../x',
      canary('podinfo', 'podinfo', '    gatewayRefs:\n      - name: ../x\n'),
      12,
      'spec.service.gatewayRefs[0].name',
      /is not a DNS-1123 subdomain/,
    ],
    [
      'a gatewayRef in namespace kube system',
      canary(
        'podinfo',
        'podinfo',
        '    gatewayRefs:\n      - name: public\n        namespace: kube system\n',
      ),
      13,
      'spec.service.gatewayRefs[0].namespace',
      /is not a DNS-1123 label/,
    ],
    [
      'a gatewayRef of kind Gate_way',
      canary('podinfo', 'podinfo', '    gatewayRefs:\n      - name: public\n        kind: Gate_way\n'),
      13,
      'spec.service.gatewayRefs[0].kind',
      /is not a kind/,
    ],
    [
      'a gatewayRef of group Example.com',
      canary('podinfo', 'podinfo', '    gatewayRefs:\n      - name: public\n        group: Example.com\n'),
      13,
      'spec.service.gatewayRefs[0].group',
      /is not a DNS-1123 subdomain/,
    ],
    [
      'a gatewayRef sectionName with a space',
      canary('podinfo', 'podinfo', '    gatewayRefs:\n      - name: public\n        sectionName: "a b"\n'),
      13,
      'spec.service.gatewayRefs[0].sectionName',
      /is not a DNS-1123 subdomain/,
    ],
  ])('refuses %s at its line and field', (_, content, line, field, message) => {
    expect(parse(content)).toEqual([{ line, field, message: expect.stringMatching(message) as unknown }]);
  });

  it('accepts the ports the API server accepts, and the empty fields it defaults', () => {
    const ports = [
      '  type: ""\n  ports:\n    - port: 80\n      targetPort: 0\n      protocol: ""\n',
      '  type: NodePort\n  ports:\n    - port: 65535\n      targetPort: http-alt2\n      protocol: UDP\n',
      '  type: LoadBalancer\n  ports:\n    - name: http\n      port: 80\n    - name: grpc\n      port: 81\n      targetPort: 9000\n      protocol: SCTP\n',
      `  ports:\n    - port: 1\n      targetPort: ${'a'.repeat(15)}\n`,
    ];

    expect(ports.flatMap((spec) => parse(serviceSpec(spec)))).toEqual([]);
  });

  it('accepts an ExternalName host that ends with a dot, and names at their limits', () => {
    expect(
      parse(
        `${service('  name: podinfo\n', '  type: ExternalName\n  externalName: api.example.com.\n')}---\n${canary('a'.repeat(63), 'a'.repeat(55))}`,
      ),
    ).toEqual([]);
  });
});
