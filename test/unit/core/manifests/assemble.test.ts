import { describe, expect, it } from 'vitest';
import type { CanarySpec, ServiceManifest } from '../../../../src/core/model.js';
import {
  assembleRepository,
  assembleRepositoryReusing,
  noAssembly,
} from '../../../../src/core/manifests/assemble.js';
import type { ManifestError } from '../../../../src/core/manifests/manifest-error.js';
import type { ParsedFile } from '../../../../src/core/manifests/parse-file.js';
import { anAnalysis, aService } from '../builders.js';

function service(file: string, name: string, namespace = 'apps'): ServiceManifest {
  return {
    source: { file, document: 0 },
    namespace,
    name,
    object: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace } },
  };
}

function canary(file: string, name: string, targetName = name, namespace = 'apps'): CanarySpec {
  return {
    source: { file, document: 1 },
    apiVersion: 'gitcanary.dev/v1alpha1',
    namespace,
    name,
    targetName,
    provider: 'kubernetes',
    service: aService({ port: 80, apexName: targetName }),
    analysis: anAnalysis({ threshold: 1, iterations: 10 }),
    skipAnalysis: false,
    suspend: false,
    revertOnDeletion: false,
    annotations: {},
  };
}

function file(contents: {
  services?: ServiceManifest[];
  canaries?: CanarySpec[];
  errors?: ManifestError[];
}): ParsedFile {
  return {
    services: [],
    ingresses: [],
    canaries: [],
    canaryChecks: [],
    metricTemplates: [],
    errors: [],
    warnings: [],
    ...contents,
  };
}

const resolvedNames = (files: ParsedFile[]): string[] =>
  assembleRepository(files).canaries.map(
    ({ canary: c, target }) => `${c.namespace}/${c.name}→${target.name}`,
  );

describe('assembleRepository', () => {
  it('joins each Canary with its target Service across files', () => {
    const files = [
      file({ services: [service('a/svc.yaml', 'podinfo')] }),
      file({ canaries: [canary('a/canary.yaml', 'podinfo')] }),
    ];

    const assembled = assembleRepository(files);

    expect(assembled.errors).toEqual([]);
    expect(assembled.canaries).toEqual([
      {
        canary: canary('a/canary.yaml', 'podinfo'),
        target: service('a/svc.yaml', 'podinfo'),
        checks: { metrics: [], webhooks: [] },
        templates: {},
      },
    ]);
  });

  it('finds the target by targetName, not by the Canary name or the apex name', () => {
    const files = [
      file({ services: [service('s.yaml', 'backend')], canaries: [canary('c.yaml', 'release', 'backend')] }),
    ];

    const names = resolvedNames(files);

    expect(names).toEqual(['apps/release→backend']);
  });

  it('sorts canaries by namespace and name whatever the order of the files', () => {
    const canaries = [canary('1.yaml', 'b'), canary('2.yaml', 'a', 'a', 'zeta'), canary('3.yaml', 'a')];
    const services = [service('s.yaml', 'a'), service('s.yaml', 'b'), service('s.yaml', 'a', 'zeta')];

    const forward = resolvedNames([file({ services, canaries })]);
    const backward = resolvedNames([
      file({ services: [...services].reverse(), canaries: [...canaries].reverse() }),
    ]);

    expect(forward).toEqual(['apps/a→a', 'apps/b→b', 'zeta/a→a']);
    expect(backward).toEqual(forward);
  });

  it.each<
    [string, ParsedFile[], { canary: string; file: string; field: string; message: string }[], string[]]
  >([
    [
      'a Canary whose target Service is missing',
      [
        file({
          services: [service('s.yaml', 'other')],
          canaries: [canary('c.yaml', 'podinfo'), canary('d.yaml', 'other')],
        }),
      ],
      [
        {
          canary: 'apps/podinfo',
          file: 'c.yaml',
          field: 'spec.targetRef.name',
          message: 'target Service apps/podinfo is not defined in the repository',
        },
      ],
      ['apps/other→other'],
    ],
    [
      'a Canary whose target is in another namespace',
      [file({ services: [service('s.yaml', 'podinfo', 'prod')], canaries: [canary('c.yaml', 'podinfo')] })],
      [
        {
          canary: 'apps/podinfo',
          file: 'c.yaml',
          field: 'spec.targetRef.name',
          message: 'target Service apps/podinfo is not defined in the repository',
        },
      ],
      [],
    ],
    [
      'two Canaries for the same target',
      [
        file({ services: [service('s.yaml', 'podinfo'), service('s.yaml', 'other')] }),
        file({ canaries: [canary('one.yaml', 'first', 'podinfo'), canary('two.yaml', 'second', 'podinfo')] }),
        file({ canaries: [canary('three.yaml', 'other')] }),
      ],
      [
        {
          canary: 'apps/first',
          file: 'one.yaml',
          field: 'spec.targetRef.name',
          message:
            'Service apps/podinfo is the target of several Canaries: apps/first (one.yaml#2), apps/second (two.yaml#2)',
        },
        {
          canary: 'apps/second',
          file: 'two.yaml',
          field: 'spec.targetRef.name',
          message:
            'Service apps/podinfo is the target of several Canaries: apps/first (one.yaml#2), apps/second (two.yaml#2)',
        },
      ],
      ['apps/other→other'],
    ],
    [
      'a target Service defined in two places',
      [
        file({ services: [service('base/svc.yaml', 'podinfo')] }),
        file({ services: [service('copy/svc.yaml', 'podinfo')], canaries: [canary('c.yaml', 'podinfo')] }),
      ],
      [
        {
          canary: 'apps/podinfo',
          file: 'c.yaml',
          field: 'spec.targetRef.name',
          message: 'target Service apps/podinfo is defined more than once: base/svc.yaml#1, copy/svc.yaml#1',
        },
      ],
      [],
    ],
    [
      'a Canary name defined twice',
      [
        file({ services: [service('s.yaml', 'a'), service('s.yaml', 'b')] }),
        file({ canaries: [canary('x.yaml', 'podinfo', 'a'), canary('y.yaml', 'podinfo', 'b')] }),
      ],
      [
        {
          canary: 'apps/podinfo',
          file: 'x.yaml',
          field: 'metadata.name',
          message: 'Canary apps/podinfo is defined more than once: x.yaml#2, y.yaml#2',
        },
        {
          canary: 'apps/podinfo',
          file: 'y.yaml',
          field: 'metadata.name',
          message: 'Canary apps/podinfo is defined more than once: x.yaml#2, y.yaml#2',
        },
      ],
      [],
    ],
  ])('reports %s and keeps the other canaries going', (_case, files, expectedErrors, expectedCanaries) => {
    const assembled = assembleRepository(files);

    expect(assembled.errors).toEqual(
      expectedErrors.map((error) => ({ code: 'ManifestInvalid', document: 1, ...error })),
    );
    expect(resolvedNames(files)).toEqual(expectedCanaries);
  });

  it('does not mind a duplicated Service that no Canary targets', () => {
    const files = [file({ services: [service('a.yaml', 'db'), service('b.yaml', 'db')] })];

    const assembled = assembleRepository(files);

    expect(assembled).toEqual({ canaries: [], errors: [], warnings: [] });
  });

  it('passes on the errors of the files, sorted by file and document', () => {
    const later: ManifestError = { code: 'ManifestInvalid', file: 'b.yaml', document: 2, message: 'late' };
    const earlier: ManifestError = { code: 'ManifestInvalid', file: 'b.yaml', document: 0, message: 'early' };
    const syntax: ManifestError = {
      code: 'ManifestInvalid',
      file: 'a.yaml',
      line: 4,
      message: 'invalid YAML',
    };
    const files = [file({ errors: [later, earlier] }), file({ errors: [syntax] })];

    const assembled = assembleRepository(files);

    expect(assembled.errors).toEqual([syntax, earlier, later]);
  });
});

describe('assembleRepository with an ingressRef', () => {
  type Spec = Record<string, unknown>;
  const backend = (name: string) => ({ service: { name, port: { number: 80 } } });
  function ingress(file: string, spec: Spec, name = 'web', namespace = 'apps') {
    return {
      source: { file, document: 0 },
      namespace,
      name,
      object: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace }, spec },
    };
  }
  const routesTo = (...names: string[]): Spec => ({
    rules: [
      {
        host: 'app.example.com',
        http: { paths: names.map((n) => ({ path: `/${n}`, backend: backend(n) })) },
      },
    ],
  });
  const nginxCanary = (): CanarySpec => ({
    ...canary('c.yaml', 'podinfo'),
    provider: 'nginx',
    analysis: anAnalysis({ stepWeight: 10, maxWeight: 50 }),
    ingressRef: { name: 'web' },
  });
  const assemble = (...ingresses: ReturnType<typeof ingress>[]) =>
    assembleRepository([
      file({ services: [service('s.yaml', 'podinfo')], canaries: [nginxCanary()] }),
      ...ingresses.map((i) => ({ ...file({}), ingresses: [i] })),
    ]);
  const problems = (assembled: ReturnType<typeof assemble>) =>
    assembled.errors.map((e) => `${e.file} ${e.field}: ${e.message}`);

  it('carries the Ingress the Canary names, as written, to its router', () => {
    const web = ingress('i.yaml', routesTo('podinfo-primary', 'assets'));

    const assembled = assemble(web);

    expect(assembled.errors).toEqual([]);
    expect(assembled.canaries[0]?.references).toEqual({ ingress: web.object });
  });

  it.each<[string, ReturnType<typeof ingress>[], string[]]>([
    [
      'missing',
      [ingress('i.yaml', routesTo('podinfo-primary'), 'other')],
      [
        'c.yaml spec.ingressRef.name: Ingress apps/web is not defined in the repository (as networking.k8s.io/v1)',
      ],
    ],
    [
      'in another namespace',
      [ingress('i.yaml', routesTo('podinfo-primary'), 'web', 'prod')],
      [
        'c.yaml spec.ingressRef.name: Ingress apps/web is not defined in the repository (as networking.k8s.io/v1)',
      ],
    ],
    [
      'defined twice',
      [ingress('i.yaml', routesTo('podinfo-primary')), ingress('j.yaml', routesTo('podinfo-primary'))],
      ['c.yaml spec.ingressRef.name: Ingress apps/web is defined more than once: i.yaml#1, j.yaml#1'],
    ],
    [
      'sending to the target itself (the new release)',
      [ingress('i.yaml', routesTo('assets', 'podinfo'))],
      [
        'i.yaml spec.rules[0].http.paths[1].backend.service.name: sends to the target Service podinfo, which holds the new release as soon as it is merged; send to podinfo-primary, which gitcanary keeps at the promoted release (the canary Ingress is made from this one)',
      ],
    ],
    [
      'sending nothing to the primary',
      [ingress('i.yaml', routesTo('assets'))],
      [
        'i.yaml spec.rules: no path sends to podinfo-primary: the canary Ingress of Canary apps/podinfo copies the paths that do',
      ],
    ],
    [
      'with paths that are not a list',
      [ingress('i.yaml', { rules: [{ http: { paths: 'podinfo-primary' } }] })],
      ['i.yaml spec.rules[0].http.paths: must be a list'],
    ],
  ])('reports an Ingress %s and leaves the Canary out', (_, ingresses, expected) => {
    const assembled = assemble(...ingresses);

    expect(problems(assembled)).toEqual(expected);
    expect(assembled.canaries).toEqual([]);
  });

  it('names the Canary on an error in the Ingress file, so that Canary alone stalls', () => {
    const assembled = assemble(
      ingress('i.yaml', { defaultBackend: backend('podinfo'), ...routesTo('podinfo-primary') }),
    );

    expect(assembled.errors).toMatchObject([
      { file: 'i.yaml', document: 0, field: 'spec.defaultBackend.service.name', canary: 'apps/podinfo' },
    ]);
  });
});

describe('assembleRepositoryReusing', () => {
  const app = (name: string) => [
    file({ services: [service(`apps/${name}/svc.yaml`, name)] }),
    file({ canaries: [canary(`apps/${name}/canary.yaml`, name)] }),
  ];

  it('updates its tables from the files that changed: the join of every other Canary is kept', () => {
    const first = [...app('a'), ...app('b'), ...app('c')];
    const { assembled: before, memo } = assembleRepositoryReusing(first, noAssembly);
    // b's Service replaced; a Service of the same name added in a file before it: b's target is now twice.
    const second = [
      ...app('a'),
      file({ services: [service('apps/aa/svc.yaml', 'b')] }),
      file({ services: [service('apps/b/svc.yaml', 'b')] }),
      ...first.slice(3),
    ];
    second.splice(0, 2, ...first.slice(0, 2));

    const { assembled: after } = assembleRepositoryReusing(second, memo);

    expect(after).toEqual(assembleRepository(second));
    expect(after.canaries.map((c) => c.canary.name)).toEqual(['a', 'c']);
    expect(after.errors.map((e) => e.message)).toEqual([
      'target Service apps/b is defined more than once: apps/aa/svc.yaml#1, apps/b/svc.yaml#1',
    ]);
    expect(after.canaries[0]).toBe(before.canaries[0]);
    expect(after.canaries[1]).toBe(before.canaries[2]);
  });

  it('builds its tables afresh when two files name one path, and gives the same result', () => {
    const first = [...app('a'), ...app('b')];
    const { memo } = assembleRepositoryReusing(first, noAssembly);
    const twice = [...first, file({ services: [service('apps/a/svc.yaml', 'a')] })];

    expect(assembleRepositoryReusing(twice, memo).assembled).toEqual(assembleRepository(twice));
    expect(assembleRepository(twice).errors.map((e) => e.message)).toEqual([
      'target Service apps/a is defined more than once: apps/a/svc.yaml#1, apps/a/svc.yaml#1',
    ]);
  });
});
