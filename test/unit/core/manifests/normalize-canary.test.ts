import { describe, expect, it } from 'vitest';
import type { CanarySpec } from '../../../../src/core/model.js';
import type { ManifestError } from '../../../../src/core/manifests/manifest-error.js';
import { normalizeCanary } from '../../../../src/core/manifests/normalize-canary.js';
import { anAnalysis, aService } from '../builders.js';

type Fields = Record<string, unknown>;

/** A Canary document and handles on its parts, so a test can change one field with no casts. */
interface CanaryParts {
  document: Fields;
  metadata: Fields;
  spec: Fields;
  targetRef: Fields;
  service: Fields;
  analysis: Fields;
}

const source = { file: 'apps/podinfo/canary.yaml', document: 1 };
const context = { source, defaultNamespace: 'default' };

/** A valid Canary of the given apiVersion, with the analysis under the key that apiVersion uses. */
function canaryParts(apiVersion = 'gitcanary.dev/v1alpha1', analysisChanges: Fields = {}): CanaryParts {
  const metadata: Fields = {
    name: 'podinfo',
    namespace: 'test',
    annotations: { 'gitcanary.dev/paused': 'true' },
  };
  const targetRef: Fields = { apiVersion: 'v1', kind: 'Service', name: 'podinfo' };
  const service: Fields = {
    port: 9898,
    name: 'podinfo-apex',
    gatewayRefs: [{ name: 'public', namespace: 'infra', sectionName: 'https' }],
    hosts: ['app.example.com'],
  };
  const analysis: Fields = {
    interval: '30s',
    threshold: 3,
    maxWeight: 40,
    stepWeight: 10,
    metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
    webhooks: [{ name: 'load-test', url: 'http://flagger-loadtester.test/' }],
    ...analysisChanges,
  };
  const analysisKey = apiVersion === 'flagger.app/v1alpha3' ? 'canaryAnalysis' : 'analysis';
  const spec: Fields = {
    provider: 'gatewayapi:v1',
    targetRef,
    service,
    [analysisKey]: analysis,
    progressDeadlineSeconds: 120,
  };
  const document: Fields = { apiVersion, kind: 'Canary', metadata, spec };
  return { document, metadata, spec, targetRef, service, analysis };
}

function normalized(document: unknown): CanarySpec {
  const result = normalizeCanary(document, context);
  if (!result.ok) throw new Error(`expected a valid Canary, got ${JSON.stringify(result.errors)}`);
  return result.canary;
}

function errorsOf(document: unknown): ManifestError[] {
  const result = normalizeCanary(document, context);
  return result.ok ? [] : result.errors;
}

describe('normalizeCanary', () => {
  it('reads every field of a gitcanary.dev/v1alpha1 Canary', () => {
    const { document } = canaryParts();

    const canary = normalized(document);

    expect(canary).toEqual({
      source,
      apiVersion: 'gitcanary.dev/v1alpha1',
      namespace: 'test',
      name: 'podinfo',
      targetName: 'podinfo',
      provider: 'gatewayapi',
      providerVersion: 'v1',
      service: aService({
        port: 9898,
        apexName: 'podinfo-apex',
        gatewayRefs: [{ name: 'public', namespace: 'infra', sectionName: 'https' }],
        hosts: ['app.example.com'],
      }),
      analysis: anAnalysis({
        intervalSeconds: 30,
        threshold: 3,
        maxWeight: 40,
        stepWeight: 10,
        metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' }],
        webhooks: [{ name: 'load-test', url: 'http://flagger-loadtester.test/' }],
      }),
      skipAnalysis: false,
      suspend: false,
      revertOnDeletion: false,
      progressDeadlineSeconds: 120,
      annotations: { 'gitcanary.dev/paused': 'true' },
    } satisfies CanarySpec);
  });

  it.each(['flagger.app/v1beta1', 'flagger.app/v1alpha3'])(
    'gives a %s Canary the same meaning as the equivalent gitcanary Canary',
    (apiVersion) => {
      const expected = normalized(canaryParts().document);

      const canary = normalized(canaryParts(apiVersion).document);

      expect(canary).toEqual({ ...expected, apiVersion });
    },
  );

  it('reads the deprecated canaryAnalysis of a flagger.app/v1beta1 Canary that has no analysis', () => {
    const { document, spec, analysis } = canaryParts('flagger.app/v1beta1');
    spec.canaryAnalysis = { ...analysis, stepWeight: 5 };
    delete spec.analysis;

    const canary = normalized(document);

    expect(canary.analysis.stepWeight).toBe(5);
  });

  it('fills in Flagger defaults for what a minimal Canary leaves out', () => {
    const document = {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo' },
      spec: {
        targetRef: { kind: 'Service', name: 'podinfo' },
        analysis: { interval: '1m' },
      },
    };

    const canary = normalized(document);

    expect(canary).toMatchObject({
      namespace: 'default',
      provider: 'kubernetes',
      service: { apexName: 'podinfo', gatewayRefs: [], hosts: [] },
      analysis: { intervalSeconds: 60, threshold: 1, iterations: 10 },
      skipAnalysis: false,
      suspend: false,
      annotations: {},
    });
    expect(canary).not.toHaveProperty('progressDeadlineSeconds');
    expect(canary.service).not.toHaveProperty('port');
    expect(canary.analysis).not.toHaveProperty('metrics');
  });

  it("reads Flagger's own Service-target example (v1alpha3, core/v1, provider kubernetes, iterations 2)", () => {
    const document = {
      apiVersion: 'flagger.app/v1alpha3',
      kind: 'Canary',
      metadata: { name: 'podinfo' },
      spec: {
        provider: 'kubernetes',
        targetRef: { apiVersion: 'core/v1', kind: 'Service', name: 'podinfo' },
        service: { port: 9898 },
        canaryAnalysis: { interval: '10s', threshold: 2, iterations: 2, metrics: [] },
      },
    };

    const result = normalizeCanary(document, context);

    expect(result).toMatchObject({
      ok: true,
      canary: { provider: 'kubernetes', analysis: { intervalSeconds: 10, threshold: 2, iterations: 2 } },
      warnings: [],
    });
  });

  it('keeps the apex name and the target name apart', () => {
    const { document, service } = canaryParts();
    service.name = 'www';

    const canary = normalized(document);

    expect(canary.service.apexName).toBe('www');
    expect(canary.targetName).toBe('podinfo');
  });

  it.each([
    ['gatewayapi', 'gatewayapi', 'v1'],
    ['gatewayapi:v1', 'gatewayapi', 'v1'],
    ['gatewayapi:v1beta1', 'gatewayapi', 'v1beta1'],
  ])('maps provider %j to the %s router writing %s', (provider, router, version) => {
    const { document, spec } = canaryParts();
    spec.provider = provider;

    const canary = normalized(document);

    expect([canary.provider, canary.providerVersion]).toEqual([router, version]);
  });

  it.each([
    ['kubernetes', undefined],
    [null, undefined],
    [null, 'kubernetes'],
  ])(
    'refuses weights when the provider in effect is kubernetes (spec.provider %j, default %j)',
    (provider, fallback) => {
      const { document, spec } = canaryParts();
      spec.provider = provider;

      const result = normalizeCanary(document, {
        ...context,
        ...(fallback ? { defaultProvider: fallback } : {}),
      });

      expect(result.ok).toBe(false);
      expect(result.ok ? [] : result.errors).toEqual([
        expect.objectContaining({
          field: 'spec.analysis',
          message: expect.stringMatching(
            /provider kubernetes cannot shift traffic: set spec.provider \(or --default-provider\).*or use iterations/,
          ) as string,
        }),
      ]);
    },
  );

  it('takes the provider of a Canary that names none from --default-provider', () => {
    const { document, spec } = canaryParts();
    spec.provider = null;

    const canary = normalizeCanary(document, { ...context, defaultProvider: 'gatewayapi:v1beta1' });

    expect(canary).toMatchObject({
      ok: true,
      canary: { provider: 'gatewayapi', providerVersion: 'v1beta1' },
    });
  });

  it.each([
    ['stepWeights', { stepWeight: null, maxWeight: null, stepWeights: [5, 10, 30] }, 30],
    [
      'stepWeights under a larger maxWeight (maxWeight is ignored)',
      { stepWeight: null, maxWeight: 80, stepWeights: [5, 10, 30] },
      30,
    ],
    [
      'stepWeights above a smaller maxWeight (maxWeight is ignored)',
      { stepWeight: null, maxWeight: 20, stepWeights: [5, 10, 30] },
      30,
    ],
    [
      'stepWeights above 100 (clamped)',
      { stepWeight: null, maxWeight: null, stepWeights: [50, 150, 200] },
      100,
    ],
    ['stepWeight', { stepWeight: 10, maxWeight: null }, 100],
    ['stepWeight and maxWeight', { stepWeight: 10, maxWeight: 40 }, 40],
    ['a maxWeight above 100 (clamped)', { stepWeight: 10, maxWeight: 150 }, 100],
    [
      'stepWeight beside stepWeights (the last one is the maximum)',
      { stepWeight: 10, stepWeights: [20, 60] },
      60,
    ],
    [
      'iterations beside a maxWeight (iterations win)',
      { stepWeight: null, maxWeight: 50, iterations: 10 },
      undefined,
    ],
    ['iterations', { stepWeight: null, maxWeight: null, iterations: 10 }, undefined],
  ])('sets maxWeight from %s', (_case, analysis, maxWeight) => {
    const { document } = canaryParts('gitcanary.dev/v1alpha1', analysis);

    const canary = normalized(document);

    expect(canary.analysis.maxWeight).toBe(maxWeight);
  });

  it.each<[string, Fields, Partial<CanarySpec['analysis']>, string[]]>([
    [
      'iterations beside stepWeight: iterations win',
      { iterations: 5 },
      { iterations: 5 },
      ['spec.analysis.stepWeight', 'spec.analysis.maxWeight'],
    ],
    [
      'a stepWeight above maxWeight: the first step stops at maxWeight',
      { stepWeight: 50 },
      { stepWeight: 50, maxWeight: 40 },
      [],
    ],
    ['a stepWeight above 100', { stepWeight: 150, maxWeight: null }, { stepWeight: 100, maxWeight: 100 }, []],
    ['threshold 0 as 1', { threshold: 0 }, { threshold: 1 }, []],
    [
      'stepWeight beside stepWeights: stepWeight steps, the last of stepWeights is the maximum',
      { stepWeights: [20, 60] },
      { stepWeight: 10, maxWeight: 60 },
      ['spec.analysis.stepWeights'],
    ],
  ])('takes %s, as Flagger does', (_case, changes, expected, warned) => {
    const { document } = canaryParts('gitcanary.dev/v1alpha1', changes);

    const result = normalizeCanary(document, context);

    expect(result).toMatchObject({ ok: true, canary: { analysis: expected } });
    expect(result.warnings.map((w) => w.field)).toEqual(warned);
  });

  it("takes a flagger.app interval below Flagger's minimum as 10s, and says so", () => {
    const { document } = canaryParts('flagger.app/v1beta1', { interval: '2s' });

    const result = normalizeCanary(document, context);

    expect(result).toMatchObject({ ok: true, canary: { analysis: { intervalSeconds: 10 } } });
    expect(result.warnings).toMatchObject([{ field: 'spec.analysis.interval', code: 'FieldIgnored' }]);
  });

  it.each([
    ['v1', 'v1'],
    ["core/v1 (as in Flagger's Service-target example)", 'core/v1'],
    ['no apiVersion', null],
  ])('takes a target with %s as a core Service', (_case, apiVersion) => {
    const { document, targetRef } = canaryParts();
    targetRef.apiVersion = apiVersion;

    expect(normalizeCanary(document, context).ok).toBe(true);
  });

  it.each<[string, (parts: CanaryParts) => unknown, string, string]>([
    [
      'a negative stepWeight',
      ({ analysis }) => (analysis.stepWeight = -5),
      'spec.analysis.stepWeight',
      'whole number of percent',
    ],
    [
      'a fractional stepWeight',
      ({ analysis }) => (analysis.stepWeight = 2.5),
      'spec.analysis.stepWeight',
      'whole number of percent',
    ],
    [
      'stepWeights that go down',
      ({ analysis }) => Object.assign(analysis, { stepWeight: null, stepWeights: [10, 20, 15] }),
      'spec.analysis.stepWeights',
      'strictly increasing: step 2 (15) follows 20',
    ],
    [
      'stepWeights that repeat',
      ({ analysis }) => Object.assign(analysis, { stepWeight: null, stepWeights: [10, 10] }),
      'spec.analysis.stepWeights',
      'strictly increasing',
    ],
    [
      'a stepWeights entry of 0',
      ({ analysis }) => Object.assign(analysis, { stepWeight: null, stepWeights: [0, 10] }),
      'spec.analysis.stepWeights',
      'step 0 (0) must be at least 1',
    ],
    [
      'none of stepWeight, stepWeights or iterations',
      ({ analysis }) => Object.assign(analysis, { stepWeight: null, maxWeight: null }),
      'spec.analysis',
      'one of stepWeight, stepWeights or iterations is required',
    ],
    ['no analysis', ({ spec }) => delete spec.analysis, 'spec.analysis', 'required'],
    [
      'a negative threshold',
      ({ analysis }) => (analysis.threshold = -1),
      'spec.analysis.threshold',
      'not be negative',
    ],
    [
      'an unreadable interval',
      ({ analysis }) => (analysis.interval = '1 minute'),
      'spec.analysis.interval',
      'invalid duration',
    ],
    [
      'a zero interval',
      ({ analysis }) => (analysis.interval = '0s'),
      'spec.analysis.interval',
      'longer than zero',
    ],
    [
      'an interval given as a number',
      ({ analysis }) => (analysis.interval = 60),
      'spec.analysis.interval',
      'duration',
    ],
    [
      'a provider gitcanary does not route for yet',
      ({ spec }) => (spec.provider = 'appmesh'),
      'spec.provider',
      'provider "appmesh" is not supported yet; gitcanary routes for kubernetes, gatewayapi',
    ],
    [
      'a provider Flagger does not know',
      ({ spec }) => (spec.provider = 'gatewayapi:v2'),
      'spec.provider',
      'unknown provider "gatewayapi:v2"; gitcanary routes for',
    ],
    [
      'provider gatewayapi without gatewayRefs',
      ({ service }) => (service.gatewayRefs = []),
      'spec.service.gatewayRefs',
      'at least one parent',
    ],
    ['a service port of 0', ({ service }) => (service.port = 0), 'spec.service.port', 'from 1 to 65535'],
    [
      'a service port given as text',
      ({ service }) => (service.port = '80'),
      'spec.service.port',
      'port number',
    ],
    [
      'a Deployment target',
      ({ targetRef }) => (targetRef.kind = 'Deployment'),
      'spec.targetRef.kind',
      'must be Service',
    ],
    [
      'a target without kind',
      ({ targetRef }) => delete targetRef.kind,
      'spec.targetRef.kind',
      'must be Service',
    ],
    [
      'a target Service of another API group',
      ({ targetRef }) => (targetRef.apiVersion = 'serving.knative.dev/v1'),
      'spec.targetRef.apiVersion',
      'must be v1 or core/v1',
    ],
    [
      'a target in another namespace',
      ({ targetRef }) => (targetRef.namespace = 'elsewhere'),
      'spec.targetRef.namespace',
      "the Canary's namespace test",
    ],
    ['a target without name', ({ targetRef }) => delete targetRef.name, 'spec.targetRef.name', 'required'],
    [
      'a gatewayRef without name',
      ({ service }) => (service.gatewayRefs = [{}]),
      'spec.service.gatewayRefs[0].name',
      'required',
    ],
    ['suspend given as text', ({ spec }) => (spec.suspend = 'yes'), 'spec.suspend', 'boolean'],
    [
      'a metricsServer that is not a URL',
      ({ spec }) => (spec.metricsServer = 'prometheus:9090'),
      'spec.metricsServer',
      'http://',
    ],
  ])('rejects %s, naming the field', (_case, change, field, message) => {
    const parts = canaryParts();
    change(parts);

    const errors = errorsOf(parts.document);

    expect(errors).toEqual([
      {
        code: 'ManifestInvalid',
        file: source.file,
        document: source.document,
        field,
        message: expect.stringContaining(message) as string,
        canary: 'test/podinfo',
      },
    ]);
  });

  it('names the fields of a v1alpha3 Canary under canaryAnalysis', () => {
    const { document } = canaryParts('flagger.app/v1alpha3', { stepWeight: -90 });

    const errors = errorsOf(document);

    expect(errors.map((error) => error.field)).toEqual(['spec.canaryAnalysis.stepWeight']);
  });

  it('reports every problem of a Canary at once', () => {
    const { document, targetRef, service, analysis } = canaryParts();
    targetRef.kind = 'Deployment';
    service.port = -1;
    analysis.threshold = -1;

    const errors = errorsOf(document);

    expect(errors.map((error) => error.field)).toEqual([
      'spec.targetRef.kind',
      'spec.service.port',
      'spec.analysis.threshold',
    ]);
  });

  it('quotes annotation keys that are not plain names in the field path', () => {
    const { document, metadata } = canaryParts();
    metadata.annotations = { 'gitcanary.dev/abort': true };

    const errors = errorsOf(document);

    expect(errors.map((error) => error.field)).toEqual(['metadata.annotations["gitcanary.dev/abort"]']);
  });

  it('names the canary in the default namespace when the document gives none', () => {
    const { document, metadata, service } = canaryParts();
    delete metadata.namespace;
    service.port = 0;

    const errors = errorsOf(document);

    expect(errors[0]?.canary).toBe('default/podinfo');
  });

  it('leaves the canary unnamed when the document has no name', () => {
    const { document, metadata } = canaryParts();
    delete metadata.name;

    const errors = errorsOf(document);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: 'metadata.name', message: 'required' });
    expect(errors[0]).not.toHaveProperty('canary');
  });
});

describe('normalizeCanary with the ingress routers', () => {
  const ingressRef = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'podinfo-ingress' };

  it.each(['nginx', 'skipper'])('reads spec.ingressRef with provider %s', (provider) => {
    const { document, spec } = canaryParts();
    spec.provider = provider;
    spec.ingressRef = ingressRef;

    expect(normalized(document).ingressRef).toEqual({ name: 'podinfo-ingress' });
  });

  it.each(['nginx', 'skipper'])('requires spec.ingressRef with provider %s', (provider) => {
    const { document, spec } = canaryParts();
    spec.provider = provider;

    const errors = errorsOf(document);

    expect(errors.map((e) => e.field)).toEqual(['spec.ingressRef']);
    expect(errors[0]?.message).toContain(`required with provider ${provider}`);
  });

  it('leaves out an ingressRef the router in effect does not read (it is warned of as ignored)', () => {
    const { document, spec } = canaryParts();
    spec.ingressRef = ingressRef;

    expect(normalized(document)).not.toHaveProperty('ingressRef');
  });

  it('refuses an ingressRef of another kind', () => {
    const { document, spec } = canaryParts();
    spec.provider = 'nginx';
    spec.ingressRef = { ...ingressRef, kind: 'HTTPProxy' };

    expect(errorsOf(document)).toMatchObject([{ field: 'spec.ingressRef.kind', message: 'must be Ingress' }]);
  });

  it.each([
    [
      'analysis.match',
      { iterations: 5, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] },
      'match',
      [],
    ],
    ['analysis.mirror', { mirror: true }, 'mirror', false],
    ['analysis.sessionAffinity', { sessionAffinity: { cookieName: 'c' } }, 'sessionAffinity', undefined],
  ])(
    'leaves out %s with provider traefik, which cannot act on it, so that "ignored" is true',
    (_, changes, key, value) => {
      const { document, spec } = canaryParts('flagger.app/v1beta1', changes);
      spec.provider = 'traefik';

      const result = normalizeCanary(document, context);

      expect(result.ok && result.canary.analysis[key as keyof CanarySpec['analysis']]).toEqual(value);
      expect(result.warnings.map((w) => w.field)).toContain(`spec.analysis.${key}`);
    },
  );

  it('keeps the A/B header and cookie matches with provider nginx, and refuses what its annotations cannot say', () => {
    const { document, spec } = canaryParts('flagger.app/v1beta1', {
      iterations: 5,
      stepWeight: null,
      maxWeight: null,
      match: [
        { headers: { 'x-canary': { exact: 'insider' } } },
        { headers: { cookie: { exact: 'canary' } } },
        { uri: { prefix: '/api' }, headers: { 'x-user': { regex: 'a.*' } } },
      ],
    });
    spec.provider = 'nginx';
    spec.ingressRef = ingressRef;

    expect(errorsOf(document).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.analysis.match[2].uri: NGINX canary annotations match a header or a cookie only; this condition cannot be expressed',
      'spec.analysis.match: NGINX routes by one header only (canary-by-header), and these name x-canary, x-user',
    ]);
  });
});
