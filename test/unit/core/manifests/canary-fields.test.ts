import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  canaryFieldTrees,
  editDistance,
  type FieldNode,
} from '../../../../src/core/manifests/canary-fields.js';
import {
  FIELD_TABLE_BEGIN,
  FIELD_TABLE_END,
  renderFieldTable,
} from '../../../../src/core/manifests/field-table.js';
import { normalizeCanary } from '../../../../src/core/manifests/normalize-canary.js';

const source = { file: 'apps/podinfo/canary.yaml', document: 0 };

/** A valid Flagger Canary with one extra field set at `path` (dots and `[0]`). */
function canaryWith(path: string, value: unknown, provider = 'gatewayapi:v1'): Record<string, unknown> {
  const document: Record<string, unknown> = {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: {
      provider,
      targetRef: { apiVersion: 'v1', kind: 'Service', name: 'podinfo' },
      service: { port: 9898, gatewayRefs: [{ name: 'public' }] },
      analysis: { interval: '1m', threshold: 2, iterations: 3 },
    },
  };
  const keys = path.split('.');
  let node = document;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) ?? ''] = value;
  return document;
}

function warningsOf(document: unknown, defaultProvider?: string) {
  const result = normalizeCanary(document, {
    source,
    defaultNamespace: 'default',
    ...(defaultProvider ? { defaultProvider } : {}),
  });
  return result.warnings.map((w) => `${w.field}: ${w.message}`);
}

/** The node of a dotted CRD path (`a.b[].c`), or the first ancestor that is not supported (it covers the rest). */
function resolve(tree: FieldNode, path: string): FieldNode | undefined {
  let node: FieldNode | undefined = tree;
  for (const part of path.split('.')) {
    if (!node) return undefined;
    if (node.support !== 'supported') return node;
    const isList = part.endsWith('[]');
    const key = isList ? part.slice(0, -2) : part;
    node = node.fields?.[key] ?? node.values;
    if (isList) node = node?.support === 'supported' ? node.items : node;
  }
  return node;
}

describe('the classification of Flagger Canary fields', () => {
  const flaggerPaths = readFileSync('test/fixtures/flagger-canary-fields.txt', 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));

  it.each(flaggerPaths)('classifies %s (v1beta1)', (path) => {
    expect(resolve(canaryFieldTrees['flagger.app/v1beta1'], path)).toBeDefined();
  });

  it.each(flaggerPaths.filter((p) => p.startsWith('spec.analysis')))(
    'classifies %s under canaryAnalysis (v1alpha3)',
    (path) => {
      const v1alpha3 = path.replace('spec.analysis', 'spec.canaryAnalysis');

      expect(resolve(canaryFieldTrees['flagger.app/v1alpha3'], v1alpha3)).toBeDefined();
    },
  );

  it.each([
    [
      'spec.autoscalerRef',
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'podinfo' },
      'not applicable to a Service target: a Service target has no workload to scale; ignored',
    ],
    ['spec.analysis.primaryReadyThreshold', 50, 'not applicable to a Service target'],
    ['spec.service.portDiscovery', true, 'has no effect with provider gatewayapi \\(read by istio\\)'],
    [
      'spec.service.trafficPolicy',
      { tls: { mode: 'ISTIO_MUTUAL' } },
      'has no effect with provider gatewayapi \\(read by istio\\); ignored',
    ],
    [
      'spec.service.retries',
      { attempts: 3 },
      'has no effect with provider gatewayapi \\(read by istio, contour\\); ignored',
    ],
    ['spec.service.corsPolicy', { allowOrigin: ['*'] }, 'has no effect with provider gatewayapi'],
    ['spec.status', { phase: 'Succeeded' }, 'unknown field; ignored'],
  ])('warns of %s, naming the field', (path, value, message) => {
    expect(warningsOf(canaryWith(path, value))).toEqual([expect.stringMatching(`^${path}: ${message}`)]);
  });

  it('warns of one subtree once, not of each field inside it', () => {
    const warnings = warningsOf(
      canaryWith('spec.autoscalerRef', {
        apiVersion: 'v2',
        kind: 'HPA',
        name: 'x',
        primaryScalerReplicas: { minReplicas: 2 },
      }),
    );

    expect(warnings).toHaveLength(1);
  });

  it.each([
    ['spec.analysis.stepWieght', 10, 'stepWeight'],
    ['spec.analysis.treshold', 10, 'threshold'],
    ['spec.servce', {}, 'service'],
    ['spec.analysis.webhooks', [{ name: 'x', url: 'http://x/', timout: '5s' }], 'timeout'],
  ])('warns of the typo %s and names the field meant', (path, value, meant) => {
    const warnings = warningsOf(canaryWith(path, value));

    expect(warnings.join('\n')).toContain(`unknown field; ignored (did you mean ${meant}?)`);
  });

  it('does not guess a name for a field unlike any it knows', () => {
    expect(warningsOf(canaryWith('spec.analysis.somethingElse', 1))).toEqual([
      'spec.analysis.somethingElse: unknown field; ignored',
    ]);
  });

  it.each([
    [
      'spec.analysis.match',
      [{ headers: { 'x-canary': { exact: 'insider' } } }],
      'gatewayapi, istio, contour, nginx',
    ],
    ['spec.analysis.sessionAffinity', { cookieName: 'flagger-cookie' }, 'gatewayapi, istio'],
    ['spec.service.hosts', ['app.example.com'], 'gatewayapi, istio, smi'],
    ['spec.analysis.stepWeightPromotion', 20, 'gatewayapi, istio, smi, contour, nginx, traefik, skipper'],
  ])('says %s has no effect with provider kubernetes', (path, value, readers) => {
    const document = canaryWith(path, value, 'kubernetes');

    expect(warningsOf(document)).toEqual(
      expect.arrayContaining([
        `${path}: has no effect with provider kubernetes (read by ${readers}); ignored`,
      ]),
    );
  });

  it.each([
    ['traefik', 'spec.analysis.match', [{ headers: { 'x-canary': { exact: 'insider' } } }]],
    ['skipper', 'spec.analysis.match', [{ headers: { 'x-canary': { exact: 'insider' } } }]],
    ['traefik', 'spec.analysis.mirror', true],
    ['nginx', 'spec.analysis.sessionAffinity', { cookieName: 'flagger-cookie' }],
    [
      'gatewayapi:v1',
      'spec.ingressRef',
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web' },
    ],
  ])('says with provider %s that %s has no effect', (provider, path, value) => {
    const document = canaryWith(path, value, provider);
    const router = provider.split(':')[0] ?? provider;

    expect(warningsOf(document)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(`^${path}: has no effect with provider ${router} \\(read by`),
      ]),
    );
  });

  it('finds no warnings in a Canary that uses only supported fields', () => {
    const document = canaryWith('spec.analysis.match', [{ headers: { 'x-canary': { exact: 'insider' } } }]);

    expect(warningsOf(document)).toEqual([]);
  });

  it('classifies the fields of our own apiVersion the same way', () => {
    const document = {
      ...canaryWith('spec.autoscalerRef', { name: 'x' }),
      apiVersion: 'gitcanary.dev/v1alpha1',
    };

    expect(warningsOf(document)).toEqual([expect.stringContaining('spec.autoscalerRef: not applicable')]);
  });
});

describe('editDistance', () => {
  it.each([
    ['stepWieght', 'stepWeight', 2],
    ['', 'abc', 3],
    ['same', 'same', 0],
  ])('between %s and %s is %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
  });
});

describe('docs/flagger-compatibility.md', () => {
  it('holds the field table the code renders (npm run generate rewrites it)', () => {
    const doc = readFileSync('docs/flagger-compatibility.md', 'utf8');
    const table = doc.slice(
      doc.indexOf(FIELD_TABLE_BEGIN) + FIELD_TABLE_BEGIN.length,
      doc.indexOf(FIELD_TABLE_END),
    );

    // Prettier pads the columns; the rows are the same.
    const normalize = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((row) => row.replace(/ {2,}/gu, ' ').replace(/-{3,}/gu, '---'));

    expect(normalize(table)).toEqual(normalize(renderFieldTable()));
  });
});
