import { describe, expect, it } from 'vitest';
import { formatManifestError } from '../../../../src/core/manifests/manifest-error.js';
import { parseManifestFile } from '../../../../src/core/manifests/parse-file.js';

const options = { defaultNamespace: 'apps' };
const nothing = {
  services: [],
  ingresses: [],
  canaries: [],
  canaryChecks: [],
  metricTemplates: [],
  errors: [],
  warnings: [],
};

const service = `apiVersion: v1
kind: Service
metadata:
  name: podinfo
  labels:
    app: podinfo
spec:
  selector:
    app: podinfo
  ports:
    - port: 80
      targetPort: http
`;

function canary(apiVersion: string, name = 'podinfo', extra = ''): string {
  const analysisKey = apiVersion === 'flagger.app/v1alpha3' ? 'canaryAnalysis' : 'analysis';
  return `apiVersion: ${apiVersion}
kind: Canary
metadata:
  name: ${name}
${extra}spec:
  targetRef:
    kind: Service
    name: podinfo
  service:
    port: 80
  ${analysisKey}:
    interval: 1m
    iterations: 10
`;
}

describe('parseManifestFile', () => {
  it('reads a Service and a Canary from one multi-document file', () => {
    const content = `${service}---\n${canary('gitcanary.dev/v1alpha1')}`;

    const parsed = parseManifestFile('apps/podinfo.yaml', content, options);

    expect(parsed.errors).toEqual([]);
    expect(parsed.services).toEqual([
      {
        source: { file: 'apps/podinfo.yaml', document: 0 },
        namespace: 'apps',
        name: 'podinfo',
        object: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'podinfo', labels: { app: 'podinfo' } },
          spec: { selector: { app: 'podinfo' }, ports: [{ port: 80, targetPort: 'http' }] },
        },
      },
    ]);
    expect(parsed.canaries).toMatchObject([
      { source: { file: 'apps/podinfo.yaml', document: 1 }, namespace: 'apps', name: 'podinfo' },
    ]);
  });

  it.each(['gitcanary.dev/v1alpha1', 'flagger.app/v1beta1', 'flagger.app/v1alpha3'])(
    'reads a %s Canary',
    (apiVersion) => {
      const content = canary(apiVersion);

      const parsed = parseManifestFile('canary.yaml', content, options);

      expect(parsed.canaries.map((c) => c.apiVersion)).toEqual([apiVersion]);
    },
  );

  it('keeps an Ingress as written (with the default namespace), to be checked only if a Canary names it', () => {
    const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: podinfo
spec:
  rules: not checked here
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {}
`;

    const parsed = parseManifestFile('apps/podinfo/ingress.yaml', ingress, options);

    expect(parsed.errors).toEqual([]);
    expect(parsed.ingresses).toEqual([
      {
        source: { file: 'apps/podinfo/ingress.yaml', document: 0 },
        namespace: 'apps',
        name: 'podinfo',
        object: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: 'podinfo' },
          spec: { rules: 'not checked here' },
        },
      },
    ]);
  });

  it('gives a Service the namespace it names over the default one', () => {
    const content = service.replace('  name: podinfo\n', '  name: podinfo\n  namespace: prod\n');

    const parsed = parseManifestFile('svc.yml', content, options);

    expect(parsed.services.map((s) => `${s.namespace}/${s.name}`)).toEqual(['prod/podinfo']);
  });

  it('counts documents as js-yaml does, empty ones included, so errors point at the right one', () => {
    const content = `---\n# nothing here\n---\n${service}---\n---\n${canary('flagger.app/v1beta1', 'broken').replace('port: 80', 'port: 0')}`;

    const parsed = parseManifestFile('multi.yaml', content, options);

    expect(parsed.services.map((s) => s.source.document)).toEqual([1]);
    expect(parsed.errors).toMatchObject([{ document: 3, field: 'spec.service.port', canary: 'apps/broken' }]);
  });

  it.each([
    ['a Deployment', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n'],
    ['a ConfigMap', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: b\n'],
    ['a kustomization', 'resources:\n  - service.yaml\n  - canary.yaml\n'],
    ['a Knative Service', 'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: podinfo\n'],
    [
      'a List',
      `apiVersion: v1\nkind: List\nitems:\n  - ${JSON.stringify({ apiVersion: 'v1', kind: 'Service' })}\n`,
    ],
    ['a Canary of another group', 'apiVersion: example.com/v1\nkind: Canary\nmetadata:\n  name: x\n'],
    ['a scalar document', 'just text\n'],
    ['a sequence document', '- a\n- b\n'],
    ['an empty file', ''],
    ['only comments', '# nothing\n'],
  ])('passes over %s silently', (_case, content) => {
    const { nodes, ...parsed } = parseManifestFile('misc.yaml', content, options);

    expect(parsed).toEqual(nothing);
    expect(nodes).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['README.md', '# Podinfo\n'],
    ['charts/podinfo/values.json', '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}}'],
    ['apps/podinfo.gitcanary.yaml', `${service}---\n${canary('gitcanary.dev/v1alpha1')}`],
  ])('does not read %s as input', (path, content) => {
    const parsed = parseManifestFile(path, content, options);

    expect(parsed).toEqual(nothing);
  });

  it('reads .yml and upper-case extensions as manifests', () => {
    const parsed = [
      parseManifestFile('a.yml', service, options),
      parseManifestFile('b.YAML', service, options),
    ];

    expect(parsed.map((file) => file.services.length)).toEqual([1, 1]);
  });

  it('reports malformed YAML once for the file, with the line js-yaml found it on', () => {
    const content = `${service}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: broken\n    namespace: x\n`;

    const parsed = parseManifestFile('apps/bad.yaml', content, options);

    expect(parsed.services).toEqual([]);
    expect(parsed.errors).toEqual([
      {
        code: 'ManifestInvalid',
        file: 'apps/bad.yaml',
        line: 18,
        column: 14,
        message: 'invalid YAML: bad indentation of a mapping entry',
      },
    ]);
  });

  it('reports a duplicated key as malformed YAML', () => {
    const content = 'apiVersion: v1\nkind: Service\nkind: Service\n';

    const parsed = parseManifestFile('dup.yaml', content, options);

    expect(parsed.errors).toMatchObject([{ line: 3, message: 'invalid YAML: duplicated mapping key' }]);
  });

  it('requires a name on a Service', () => {
    const content = 'apiVersion: v1\nkind: Service\nmetadata:\n  namespace: prod\nspec: {}\n';

    const parsed = parseManifestFile('svc.yaml', content, options);

    expect(parsed.services).toEqual([]);
    expect(parsed.errors).toEqual([
      {
        code: 'ManifestInvalid',
        file: 'svc.yaml',
        document: 0,
        line: 3,
        field: 'metadata.name',
        message: 'required',
      },
    ]);
  });

  it('reports a Canary in an apiVersion it does not read instead of passing over it', () => {
    const content = canary('flagger.app/v1alpha2');

    const parsed = parseManifestFile('old.yaml', content, options);

    expect(parsed.canaries).toEqual([]);
    expect(parsed.errors).toMatchObject([
      { field: 'apiVersion', message: expect.stringContaining('not supported') as string },
    ]);
  });

  it('keeps the valid documents of a file when another one is invalid', () => {
    const content = `${canary('gitcanary.dev/v1alpha1', 'bad').replace('kind: Service', 'kind: Deployment')}---\n${canary('gitcanary.dev/v1alpha1', 'good')}`;

    const parsed = parseManifestFile('two.yaml', content, options);

    expect(parsed.canaries.map((c) => c.name)).toEqual(['good']);
    expect(parsed.errors.map((e) => e.canary)).toEqual(['apps/bad']);
  });
});

/** A billion laughs: `levels` anchors of ten aliases of the one before, under `data` of the document. */
function laughs(levels = 9): string {
  const lines = ['  lol0: &lol0 "lol"'];
  for (let i = 1; i <= levels; i += 1) {
    lines.push(`  lol${i}: &lol${i} [${Array.from({ length: 10 }, () => `*lol${i - 1}`).join(', ')}]`);
  }
  return lines.join('\n');
}

describe('parseManifestFile within limits', () => {
  it('refuses a Service whose aliases expand beyond the budget, at its line, and keeps the other documents', () => {
    const bomb = `apiVersion: v1\nkind: Service\nmetadata:\n  name: bomb\n${laughs()}\n`;
    const content = `${bomb}---\n${canary('gitcanary.dev/v1alpha1')}`;

    const started = performance.now();
    const parsed = parseManifestFile('apps/bomb.yaml', content, options);

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(parsed.services).toEqual([]);
    expect(parsed.canaries.map((c) => c.name)).toEqual(['podinfo']);
    expect(parsed.errors).toEqual([
      {
        code: 'ManifestInvalid',
        file: 'apps/bomb.yaml',
        document: 0,
        // lol5 is the first to expand to more than 100,000 nodes; the field is where the copy stopped.
        line: 10,
        field: expect.stringMatching(/^metadata\.lol5\[\d\]/) as string,
        message: 'YAML aliases expand this document to more than 100,000 nodes',
      },
    ]);
  });

  it('refuses a Canary whose aliases expand beyond the budget, naming the Canary', () => {
    const content = canary(
      'gitcanary.dev/v1alpha1',
      'bomb',
      `  labels:\n${laughs().replaceAll('  lol', '    lol')}\n`,
    );

    const parsed = parseManifestFile('apps/canary.yaml', content, options);

    expect(parsed.canaries).toEqual([]);
    expect(parsed.errors).toMatchObject([
      { canary: 'apps/bomb', message: 'YAML aliases expand this document to more than 100,000 nodes' },
    ]);
  });

  it('refuses a self-referencing alias instead of looping', () => {
    const content = `apiVersion: v1\nkind: Service\nmetadata:\n  name: loop\nspec:\n  ports: &p [*p]\n`;

    const parsed = parseManifestFile('apps/loop.yaml', content, options);

    expect(parsed.errors).toMatchObject([
      { line: 6, field: 'spec.ports[0]', message: 'a YAML alias refers to a node that contains it' },
    ]);
  });

  it('refuses more than 1,000 aliases in one document, and nesting deeper than 100 levels', () => {
    const aliases = `apiVersion: v1\nkind: ConfigMap\ndata: &d {a: b}\nmore: [${'*d, '.repeat(1000)}*d]\n`;
    const deep = `apiVersion: v1\nkind: Service\nmetadata: {name: deep}\nspec: ${'['.repeat(101)}${']'.repeat(101)}\n`;

    expect(parseManifestFile('aliases.yaml', aliases, options).errors).toMatchObject([
      { line: 4, message: 'invalid YAML: aliases exceeded maxAliases (1000)' },
    ]);
    expect(parseManifestFile('deep.yaml', deep, options).errors).toMatchObject([
      { line: 4, message: 'invalid YAML: nesting exceeded maxDepth (100)' },
    ]);
  });

  it('does not read a file over 1 MiB, nor one with NUL bytes', () => {
    const large = `${service}# ${'x'.repeat(1024 * 1024)}\n`;

    expect(parseManifestFile('large.yaml', large, options)).toEqual({
      ...nothing,
      errors: [
        {
          code: 'ManifestInvalid',
          file: 'large.yaml',
          message: 'the file is over the limit of 1 MiB of a file gitcanary reads; not read',
        },
      ],
    });
    expect(parseManifestFile('binary.yaml', `${service}\0\x01\x02`, options).errors).toMatchObject([
      { message: 'not a YAML text file: it holds NUL bytes (binary, or UTF-16)' },
    ]);
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses a document with a %s key, at its field and line',
    (key) => {
      const content = `${service.replace('    app: podinfo\nspec', `    app: podinfo\n    ${key}: x\nspec`)}`;

      const parsed = parseManifestFile('apps/svc.yaml', content, options);

      expect(parsed.services).toEqual([]);
      expect(parsed.errors).toEqual([
        {
          code: 'ManifestInvalid',
          file: 'apps/svc.yaml',
          document: 0,
          line: 7,
          field: `metadata.labels.${key}`,
          message: `the key "${key}" is refused: it names a JavaScript object's prototype`,
        },
      ]);
    },
  );

  it('reads a document that starts with a byte order mark, first or not', () => {
    const content = `\uFEFF${service}---\n\uFEFF${canary('gitcanary.dev/v1alpha1')}\uFEFF---\n\uFEFF${canary('gitcanary.dev/v1alpha1', 'other')}`;

    const parsed = parseManifestFile('apps/boms.yaml', content, options);

    expect(parsed.errors).toEqual([]);
    expect(parsed.services.map((s) => s.name)).toEqual(['podinfo']);
    expect(parsed.canaries.map((c) => c.name)).toEqual(['podinfo', 'other']);
  });

  it('gives the line of an error in a document after one that starts with a byte order mark', () => {
    const content = `${service}---\n\uFEFF${canary('gitcanary.dev/v1alpha1').replace('iterations: 10', 'iterations: ten')}`;

    const parsed = parseManifestFile('apps/boms.yaml', content, options);

    expect(parsed.errors).toMatchObject([{ line: 26, field: 'spec.analysis.iterations' }]);
  });
});

describe('formatManifestError', () => {
  it.each([
    [
      {
        file: 'a.yaml',
        document: 1,
        field: 'spec.analysis.stepWeight',
        message: '50 is above maxWeight (40)',
      },
      'a.yaml#2: spec.analysis.stepWeight: 50 is above maxWeight (40)',
    ],
    [
      { file: 'a.yaml', line: 3, column: 5, message: 'invalid YAML: bad indentation' },
      'a.yaml:3:5: invalid YAML: bad indentation',
    ],
    [{ file: 'a.yaml', document: 0, message: 'something' }, 'a.yaml#1: something'],
    [
      { file: 'a.yaml', document: 1, line: 12, field: 'spec.analysis.stepWeight', message: 'too big' },
      'a.yaml:12: spec.analysis.stepWeight: too big',
    ],
  ])('formats %j as one line', (error, text) => {
    const line = formatManifestError({ code: 'ManifestInvalid', ...error });

    expect(line).toBe(text);
  });

  it('says a warning is one', () => {
    const line = formatManifestError({
      code: 'FieldIgnored',
      file: 'a.yaml',
      document: 0,
      line: 7,
      field: 'spec.autoscalerRef',
      message: 'not applicable',
    });

    expect(line).toBe('a.yaml:7: warning: spec.autoscalerRef: not applicable');
  });
});

describe('what a parsed file holds for the life of the process', () => {
  it('shares one frozen empty value for every field a file or a Canary leaves empty', () => {
    const [a, b] = ['a.yaml', 'b.yaml'].map((path, index) =>
      parseManifestFile(path, canary('gitcanary.dev/v1alpha1', `app-${index}`), options),
    );
    const [first, second] = [a?.canaries[0], b?.canaries[0]];
    if (!a || !b || !first || !second) throw new Error('expected a Canary in each file');

    expect(first.name).not.toBe(second.name);
    for (const pick of [
      (p: typeof a) => p.services,
      (p: typeof a) => p.ingresses,
      (p: typeof a) => p.metricTemplates,
      (p: typeof a) => p.errors,
    ]) {
      expect(pick(a)).toBe(pick(b));
      expect(Object.isFrozen(pick(a))).toBe(true);
    }
    expect(first.service.hosts).toBe(second.service.hosts);
    expect(first.service.match).toBe(second.service.match);
    expect(first.service.unmanaged.labels).toBe(second.service.unmanaged.labels);
    expect(first.service.apex).toBe(second.service.primary);
    expect(first.service.canary).toBe(second.service.apex);
    expect(first.analysis.match).toBe(second.analysis.match);
    expect(Object.isFrozen(first.service.apex.labels)).toBe(true);
    expect(() => first.service.hosts.push('example.com')).toThrow(TypeError);
  });

  it('keeps what a Canary writes as its own', () => {
    const written = canary('gitcanary.dev/v1alpha1', 'podinfo').replace(
      '  service:\n',
      '  service:\n    hosts: [app.example.com]\n    apex:\n      labels: {tier: web}\n',
    );

    const parsed = parseManifestFile('a.yaml', written, options).canaries[0];

    expect(parsed?.service.hosts).toEqual(['app.example.com']);
    expect(parsed?.service.apex).toEqual({ labels: { tier: 'web' }, annotations: {} });
    expect(Object.isFrozen(parsed?.service.hosts)).toBe(false);
  });
});
