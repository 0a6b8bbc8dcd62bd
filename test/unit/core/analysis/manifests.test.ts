// The analysis as the repository sees it: MetricTemplates and bad checks are manifest errors that name the
// file and the field, and each Canary is joined with the templates its metrics refer to.
import { describe, expect, it } from 'vitest';
import { assembleRepository } from '../../../../src/core/manifests/assemble.js';
import { formatManifestError } from '../../../../src/core/manifests/manifest-error.js';
import { parseManifestFile } from '../../../../src/core/manifests/parse-file.js';

const options = { defaultNamespace: 'apps' };

const service = (spec = 'selector: { app: podinfo-green }\n  ports: [{ port: 80 }]') => `apiVersion: v1
kind: Service
metadata: { name: podinfo }
spec:
  ${spec}
`;

const template = (name = 'error-rate', extra = '') => `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: { name: ${name}${extra} }
spec:
  provider:
    type: prometheus
    address: http://prometheus.monitoring:9090
    secretRef: { name: prom-auth }
  query: |
    100 - sum(rate(http_requests_total{namespace="{{ namespace }}",job="{{ target }}-canary",status!~"5.*"}[{{ interval }}]))
`;

const canary = (metrics: string, apiVersion = 'gitcanary.dev/v1alpha1') => {
  const key = apiVersion === 'flagger.app/v1alpha3' ? 'canaryAnalysis' : 'analysis';
  return `apiVersion: ${apiVersion}
kind: Canary
metadata: { name: podinfo }
spec:
  targetRef: { kind: Service, name: podinfo }
  service: { port: 80 }
  ${key}:
    interval: 1m
    iterations: 10
    metrics:
${metrics}`;
};

function assemble(files: Record<string, string>) {
  return assembleRepository(
    Object.entries(files).map(([path, content]) => parseManifestFile(path, content, options)),
  );
}

describe('MetricTemplate manifests', () => {
  it('reads a MetricTemplate in the default namespace', () => {
    const parsed = parseManifestFile('t.yaml', template(), options);

    expect(parsed.errors).toEqual([]);
    expect(parsed.metricTemplates).toMatchObject([
      {
        source: { file: 't.yaml', document: 0 },
        template: {
          namespace: 'apps',
          name: 'error-rate',
          provider: {
            type: 'prometheus',
            address: 'http://prometheus.monitoring:9090',
            secretRef: { name: 'prom-auth' },
            insecureSkipVerify: false,
            headers: {},
          },
        },
      },
    ]);
  });

  it.each([
    [
      'type: prometheus',
      'type: datadog',
      'spec.provider.type: must be prometheus: gitcanary queries Prometheus only',
    ],
    [
      'address: http://prometheus.monitoring:9090',
      'address: prometheus:9090',
      'spec.provider.address: must be an absolute http:// or https:// URL',
    ],
    [
      'secretRef: { name: prom-auth }',
      'secretRef: { name: ../../etc }',
      'spec.provider.secretRef.name: must be a Secret name (lower-case letters, digits, "-" and ".")',
    ],
    ['{{ interval }}', '{{ .Interval }}', 'spec.query: unsupported template action "{{ .Interval }}"'],
    ['    address: http://prometheus.monitoring:9090\n', '', 'spec.provider.address: required'],
    // Node refuses to send such a header; found here, it is the template's error and not a failed pass.
    [
      'secretRef: { name: prom-auth }',
      'headers: { X-Scope-OrgID: ["a\\r\\nX-Injected: 1"] }',
      'spec.provider.headers["X-Scope-OrgID"]: must not contain a line break or a NUL character',
    ],
    [
      'secretRef: { name: prom-auth }',
      'headers: { "X Scope": [a] }',
      'spec.provider.headers["X Scope"]: must be an HTTP header name',
    ],
  ])('reports %s written as %s with file and field', (from, to, message) => {
    const parsed = parseManifestFile('t.yaml', template().replace(from, to), options);

    expect(parsed.errors.map(formatManifestError)).toEqual([expect.stringMatching(/^t\.yaml:\d+: /)]);
    expect(parsed.errors.map(formatManifestError)).toEqual([expect.stringContaining(message)]);
  });

  it('reports a MetricTemplate in an apiVersion it does not read', () => {
    const parsed = parseManifestFile(
      't.yaml',
      template().replace('flagger.app/v1beta1', 'flagger.app/v1alpha1'),
      options,
    );

    expect(parsed.errors.map(formatManifestError)).toEqual([
      't.yaml:1: apiVersion: MetricTemplate flagger.app/v1alpha1 is not supported; use flagger.app/v1beta1 or gitcanary.dev/v1alpha1',
    ]);
  });
});

describe('Canary checks in manifests', () => {
  it('reports a bad metric as a manifest error of the Canary, naming file and field', () => {
    const metrics = '      - name: request-success-rate\n        thresholdRange: { min: 99, max: 1 }\n';

    const assembled = assemble({ 'svc.yaml': service(), 'canary.yaml': canary(metrics) });

    expect(assembled.canaries).toEqual([]);
    expect(assembled.errors).toEqual([
      {
        code: 'ManifestInvalid',
        file: 'canary.yaml',
        document: 0,
        line: 12,
        field: 'spec.analysis.metrics[0].thresholdRange',
        message: 'min (99) is above max (1)',
        canary: 'apps/podinfo',
      },
    ]);
  });

  it('names the v1alpha3 field as written', () => {
    const metrics = '      - name: request-duration\n        threshold: fast\n';

    const parsed = parseManifestFile('c.yaml', canary(metrics, 'flagger.app/v1alpha3'), options);

    expect(parsed.errors.map(formatManifestError)).toEqual([
      'c.yaml:12: spec.canaryAnalysis.metrics[0].threshold: must be a number',
    ]);
  });

  it('joins each templateRef with its MetricTemplate, by metric name', () => {
    const metrics =
      '      - name: errors\n        templateRef: { name: error-rate }\n        thresholdRange: { max: 1 }\n';

    const assembled = assemble({
      'svc.yaml': service(),
      'canary.yaml': canary(metrics),
      't.yaml': template(),
    });

    expect(assembled.errors).toEqual([]);
    const [resolved] = assembled.canaries;
    expect(resolved?.checks.metrics.map((m) => m.name)).toEqual(['errors']);
    expect(resolved?.templates.errors).toMatchObject({ namespace: 'apps', name: 'error-rate' });
  });

  it.each([
    [
      'a template that is not in the repository',
      '      - name: errors\n        templateRef: { name: error-rate, namespace: monitoring }\n        thresholdRange: { max: 1 }\n',
      { 't.yaml': template() },
      'canary.yaml#1: spec.analysis.metrics[0].templateRef.name: MetricTemplate monitoring/error-rate is not defined in the repository',
    ],
    [
      'a template defined twice',
      '      - name: errors\n        templateRef: { name: error-rate }\n        thresholdRange: { max: 1 }\n',
      { 't.yaml': template(), 'u.yaml': template() },
      'canary.yaml#1: spec.analysis.metrics[0].templateRef.name: MetricTemplate apps/error-rate is defined more than once: t.yaml#1, u.yaml#1',
    ],
    [
      'a template variable the metric does not set',
      '      - name: errors\n        templateRef: { name: error-rate }\n        thresholdRange: { max: 1 }\n',
      { 't.yaml': template().replace('{{ target }}', '{{ variables.job }}') },
      "canary.yaml#1: spec.analysis.metrics[0].templateVariables: MetricTemplate apps/error-rate: the query uses variables.job, which the metric's templateVariables do not set",
    ],
    [
      'a variable that is not one token where the query has it outside a string',
      '      - name: errors\n        templateRef: { name: error-rate }\n        templateVariables: { limit: "0 or vector(1)" }\n        thresholdRange: { max: 1 }\n',
      { 't.yaml': template().replace('[{{ interval }}]))', '[{{ interval }}])) > {{ variables.limit }}') },
      'canary.yaml#1: spec.analysis.metrics[0].templateVariables: MetricTemplate apps/error-rate: the value of variables.limit is used outside a string in the query, where it must be a single number, duration or name; quote it in the MetricTemplate ("{{ variables.limit }}")',
    ],
  ])('reports %s as an error of that Canary', (_, metrics, templates, message) => {
    const assembled = assemble({ 'svc.yaml': service(), 'canary.yaml': canary(metrics), ...templates });

    expect(assembled.canaries).toEqual([]);
    expect(assembled.errors.map(formatManifestError)).toEqual([message]);
    expect(assembled.errors[0]?.canary).toBe('apps/podinfo');
  });

  it('reports a built-in metric of a target without a selector', () => {
    const metrics = '      - name: request-success-rate\n        thresholdRange: { min: 99 }\n';
    const externalName = service('type: ExternalName\n  externalName: podinfo.example.com');

    const assembled = assemble({ 'svc.yaml': externalName, 'canary.yaml': canary(metrics) });

    expect(assembled.errors.map(formatManifestError)).toEqual([
      "canary.yaml#1: spec.analysis.metrics[0].name: the built-in request-success-rate finds the canary's pods by the target's selector, and Service apps/podinfo has none; use a MetricTemplate",
    ]);
  });
});
