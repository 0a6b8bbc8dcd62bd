// The catalogue of the bad-input suite: each case is one bad input (a file, a document, a name, a crafted
// tree entry) added to a repository that also holds a good Canary, with where its error must point and what
// it must say. Bad Canaries are named `other` and target a Service `other` in the good Canary's namespace,
// so that a write made for one of them would be seen.
import type { CraftedEntry } from './crafted-tree.js';

export interface BadInput {
  name: string;
  /** Files added beside the good Canary's. */
  files: (ns: string) => Record<string, string | Buffer>;
  /** Tree entries no git client makes, committed on top. */
  crafted?: (ns: string) => CraftedEntry[];
  /** The file the error must name. */
  file: string;
  message: RegExp;
  /** An alias or size bomb: its pass is where memory is watched. */
  bomb?: boolean;
}

const canaryFile = 'apps/other/canary.yaml';
const serviceFile = 'apps/other/service.yaml';
const generatedFile = 'apps/other/other.gitcanary.yaml';

export const goodService = (ns: string) => `apiVersion: v1
kind: Service
metadata:
  name: podinfo
  namespace: ${ns}
  labels:
    app.kubernetes.io/name: podinfo
spec:
  selector:
    app: podinfo
  ports:
    - name: http
      port: 9898
      targetPort: http
`;

export const goodCanary = (ns: string) => `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata:
  name: podinfo
  namespace: ${ns}
spec:
  provider: kubernetes
  targetRef:
    apiVersion: v1
    kind: Service
    name: podinfo
  service:
    port: 9898
  analysis:
    interval: 1m
    threshold: 2
    iterations: 3
`;

interface ServiceParts {
  name?: string;
  namespace?: string;
  metadata?: string;
  spec?: string;
  top?: string;
}

/** A Service `other` (or as given), with lines added to its metadata or spec. */
export function service(ns: string, parts: ServiceParts = {}): string {
  const spec = parts.spec ?? '  selector:\n    app: other\n  ports:\n    - port: 80\n';
  return `apiVersion: v1
kind: Service
metadata:
  name: ${parts.name ?? 'other'}
  namespace: ${parts.namespace ?? ns}
${parts.metadata ?? ''}spec:
${spec}${parts.top ?? ''}`;
}

interface CanaryParts {
  name?: string;
  namespace?: string;
  target?: string;
  apiVersion?: string;
  /** Lines under `spec.service` (indented by 4). */
  service?: string;
  /** Lines under `spec.analysis` (indented by 4). */
  analysis?: string;
  /** Lines under `spec` (indented by 2). */
  spec?: string;
  top?: string;
}

/** A Canary `other` of Service `other`, with lines added. */
export function canary(ns: string, parts: CanaryParts = {}): string {
  return `apiVersion: ${parts.apiVersion ?? 'gitcanary.dev/v1alpha1'}
kind: Canary
metadata:
  name: ${parts.name ?? 'other'}
  namespace: ${parts.namespace ?? ns}
spec:
  provider: kubernetes
  targetRef:
    kind: Service
    name: ${parts.target ?? 'other'}
${parts.spec ?? ''}  service:
    port: 80
${parts.service ?? ''}  analysis:
    interval: 1m
    iterations: 3
${parts.analysis ?? ''}${parts.top ?? ''}`;
}

/** A pair: Canary `other` and its Service, in their own files. */
const pair = (ns: string, c: CanaryParts = {}, s: ServiceParts = {}) => ({
  [canaryFile]: canary(ns, c),
  [serviceFile]: service(ns, s),
});

/** A billion laughs under `key`: `levels` anchors of ten aliases of the one before (10^levels leaves). */
export function laughs(key = 'bomb', indent = '', levels = 9): string {
  const lines = [`${indent}${key}:`, `${indent}  l0: &l0 "lol"`];
  for (let i = 1; i <= levels; i += 1) {
    lines.push(
      `${indent}  l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** More aliases than js-yaml is allowed to read in one document. */
const manyAliases = (indent = '') =>
  `${indent}many:\n${indent}  a: &a x\n${indent}  list: [${Array(1001).fill('*a').join(', ')}]\n`;

/** One long string used many times: the text budget, not the node budget. */
const longStringAliases = (indent = '') =>
  `${indent}long:\n${indent}  s: &s "${'x'.repeat(64 * 1024)}"\n${indent}  list: [${Array(100).fill('*s').join(', ')}]\n`;

const deepFlow = (depth: number, indent = '') => `${indent}deep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;

const mergeBomb = (indent = '') => {
  const lines = [
    `${indent}merge:`,
    `${indent}  m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}`,
  ];
  for (let i = 1; i <= 30; i += 1) {
    lines.push(`${indent}  m${i}: &m${i}`);
    for (let j = 0; j < 5; j += 1) lines.push(`${indent}    k${j}: {<<: [*m${i - 1}]}`);
  }
  return `${lines.join('\n')}\n`;
};

const nameProblem =
  /DNS-1123|DNS-1035|over the limit of 63|must not be empty|expected string|must be a string/;

const canaryNames = [
  '"../x"',
  'a/b',
  '..',
  '.hidden',
  'Other',
  '"sp ace"',
  'a'.repeat(64),
  'ünï',
  'under_score',
  '-lead',
  'trail-',
  'a..b',
  'a/../b',
  '""',
  '123',
];
const namespaces = ['"../kube-system"', '"kube system"', 'a.b', 'UPPER', '-x', 'a'.repeat(64)];
const targetNames = ['"../x"', 'a.b', '1abc', 'Other', 'a'.repeat(56), 'a'.repeat(63), 'a_b', 'a/b'];
const serviceNames = ['"../x"', 'a.b', '1abc', 'Other', 'a'.repeat(64), 'a_b'];
const labelKeys = ['a/b/c', '"sp ace"', 'Example.com/x', '"/x"', 'x_', `"example.com/${'k'.repeat(64)}"`];
const labelValues = ['"a b"', '-x', 'x-', 'v'.repeat(64), '"a/b"'];
const externalNames = [
  'bad_host.example.com',
  '"a host"',
  `${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(63)}.${'h'.repeat(63)}`,
  '"http://x.example.com"',
  'Upper.example.com',
  '-x.example.com',
];

/** Spec lines of a Service `other` whose ports are bad, and what the error says. */
const servicePorts: [string, string, RegExp][] = [
  ['a port of 0', '    - port: 0\n', /0 is not a port number/],
  ['a port of 70000', '    - port: 70000\n', /70000 is not a port number/],
  ['a port that is a string', '    - port: "80"\n', /"80" is not a port number/],
  ['a port without its number', '    - name: http\n', /required/],
  ['a port that is a number alone', '    - 80\n', /must be a port/],
  ['a targetPort of 70000', '    - port: 80\n      targetPort: 70000\n', /not a port number/],
  ['a targetPort of -1', '    - port: 80\n      targetPort: -1\n', /not a port number/],
  ['a targetPort name of 16', `    - port: 80\n      targetPort: ${'h'.repeat(16)}\n`, /not a port name/],
  ['a targetPort of digits in quotes', '    - port: 80\n      targetPort: "8080"\n', /not a port name/],
  ['a targetPort with an underscore', '    - port: 80\n      targetPort: http_alt\n', /not a port name/],
  ['a targetPort with two dashes', '    - port: 80\n      targetPort: a--b\n', /not a port name/],
  ['a protocol HTTP', '    - port: 80\n      protocol: HTTP\n', /is not one of TCP, UDP, SCTP/],
  ['a protocol in lower case', '    - port: 80\n      protocol: tcp\n', /is not one of TCP, UDP, SCTP/],
  [
    'two ports, one without a name',
    '    - port: 80\n      name: http\n    - port: 81\n',
    /required when a Service has more than one port/,
  ],
  [
    'two ports of one name',
    '    - port: 80\n      name: http\n    - port: 81\n      name: http\n',
    /is the name of another port/,
  ],
  ['a port name in capitals', '    - port: 80\n      name: HTTP\n', /DNS-1123 label/],
  ['a port name of 64', `    - port: 80\n      name: ${'p'.repeat(64)}\n`, /over the limit of 63/],
];

/** Lines under a gatewayapi Canary's `spec.service`, and what the error says. */
const gatewayRefs: [string, string, RegExp][] = [
  ['named ../x', '      - name: ../x\n', /DNS-1123 subdomain/],
  ['named 254 characters', `      - name: ${'g'.repeat(254)}\n`, /over the limit of 253/],
  ['in namespace "kube system"', '      - name: public\n        namespace: kube system\n', /DNS-1123 label/],
  [
    'in a namespace of 64',
    `      - name: public\n        namespace: ${'n'.repeat(64)}\n`,
    /over the limit of 63/,
  ],
  ['of kind Gate_way', '      - name: public\n        kind: Gate_way\n', /is not a kind/],
  ['of group Example.com', '      - name: public\n        group: Example.com\n', /DNS-1123 subdomain/],
  ['of sectionName "a b"', '      - name: public\n        sectionName: "a b"\n', /DNS-1123 subdomain/],
];

export const badInputs: BadInput[] = [
  // Alias and size bombs, in each kind of document gitcanary reads.
  {
    name: 'a billion laughs in a Service',
    files: (ns) => pair(ns, {}, { top: laughs() }),
    file: serviceFile,
    message: /YAML aliases expand this document to more than 100,000 nodes/,
    bomb: true,
  },
  {
    name: 'a billion laughs in a Canary',
    files: (ns) => pair(ns, { top: laughs() }),
    file: canaryFile,
    message: /YAML aliases expand this document/,
    bomb: true,
  },
  {
    name: 'a billion laughs in a Canary spec',
    files: (ns) => pair(ns, { spec: laughs('bomb', '  ') }),
    file: canaryFile,
    message: /YAML aliases expand this document/,
    bomb: true,
  },
  {
    name: 'a billion laughs in a MetricTemplate',
    files: (ns) => ({
      'apps/other/template.yaml': `apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: t\n  namespace: ${ns}\nspec:\n  provider:\n    type: prometheus\n  query: up\n${laughs('bomb', '  ')}`,
    }),
    file: 'apps/other/template.yaml',
    message: /YAML aliases expand this document/,
    bomb: true,
  },
  {
    name: 'a billion laughs in an AlertProvider',
    files: (ns) => ({
      'apps/other/alerts.yaml': `apiVersion: gitcanary.dev/v1alpha1\nkind: AlertProvider\nmetadata:\n  name: slack\n  namespace: ${ns}\nspec:\n  type: slack\n${laughs('bomb', '  ')}`,
    }),
    file: 'apps/other/alerts.yaml',
    message: /YAML aliases expand this document/,
    bomb: true,
  },
  {
    name: 'a billion laughs in a generated file',
    files: (ns) => ({
      ...pair(ns),
      [generatedFile]: `apiVersion: gitcanary.dev/v1alpha1\nkind: CanaryState\nmetadata:\n  name: other\n  namespace: ${ns}\n${laughs()}`,
    }),
    file: generatedFile,
    message: /YAML aliases expand this document/,
    bomb: true,
  },
  {
    name: 'a billion laughs of 12 levels',
    files: (ns) => pair(ns, {}, { top: laughs('bomb', '', 12) }),
    file: serviceFile,
    message: /YAML aliases expand this document/,
    bomb: true,
  },
  {
    name: 'more than 1,000 aliases in a Service',
    files: (ns) => pair(ns, {}, { top: manyAliases() }),
    file: serviceFile,
    message: /aliases exceeded maxAliases \(1000\)/,
    bomb: true,
  },
  {
    name: 'more than 1,000 aliases in a generated file',
    files: (ns) => ({ ...pair(ns), [generatedFile]: manyAliases() }),
    file: generatedFile,
    message: /aliases exceeded maxAliases/,
    bomb: true,
  },
  {
    name: 'a long string aliased 100 times',
    files: (ns) => pair(ns, {}, { top: longStringAliases() }),
    file: serviceFile,
    message: /more than 4 MiB of text/,
    bomb: true,
  },
  {
    name: 'a long string aliased 100 times in a Canary',
    files: (ns) => pair(ns, { top: longStringAliases() }),
    file: canaryFile,
    message: /more than 4 MiB of text/,
    bomb: true,
  },
  {
    name: 'merge keys that multiply',
    files: (ns) => pair(ns, {}, { top: mergeBomb() }),
    file: serviceFile,
    message: /merge keys exceeded|YAML aliases expand|aliases exceeded/,
    bomb: true,
  },
  {
    name: 'an alias inside the node it names',
    files: (ns) => pair(ns, {}, { top: 'loop: &loop\n  - *loop\n' }),
    file: serviceFile,
    message: /alias|recursive/,
  },
  {
    name: 'nesting 101 levels deep',
    files: (ns) => pair(ns, {}, { top: deepFlow(101) }),
    file: serviceFile,
    message: /nesting exceeded maxDepth|nested deeper/,
  },
  {
    name: 'nesting 100,000 levels deep',
    files: (ns) => pair(ns, {}, { top: deepFlow(100_000) }),
    file: serviceFile,
    // 100,000 flow sequences are more nodes than a file may hold: refused before the parser sees the depth.
    message: /more than 100,000 YAML nodes/,
    bomb: true,
  },
  {
    name: 'nesting deep through aliases',
    files: (ns) =>
      pair(
        ns,
        {},
        {
          top: `d0: &d0 [x]\n${Array.from({ length: 120 }, (_, i) => `d${i + 1}: &d${i + 1} [*d${i}]`).join('\n')}\n`,
        },
      ),
    file: serviceFile,
    message: /nested deeper than 100 levels|nesting exceeded/,
  },
  {
    name: '100,001 items in a list',
    files: (ns) => pair(ns, {}, { top: `items: [${Array(100_001).fill('1').join(',')}]\n` }),
    file: serviceFile,
    message: /more than 100,000 YAML nodes/,
    bomb: true,
  },
  {
    name: 'a 1 MiB file of 500,000 list items',
    files: (ns) => pair(ns, {}, { top: `items: [${Array(500_000).fill('1').join(',')}]\n` }),
    file: serviceFile,
    message: /more than 100,000 YAML nodes/,
    bomb: true,
  },
  {
    name: 'a generated file of 100,001 empty list entries',
    files: (ns) => ({ ...pair(ns), [generatedFile]: `items:\n${'-\n'.repeat(100_001)}` }),
    file: generatedFile,
    message: /more than 100,000 YAML nodes/,
    bomb: true,
  },
  {
    name: 'a Service file over 1 MiB',
    files: (ns) => pair(ns, {}, { top: `# ${'x'.repeat(1024 * 1024)}\n` }),
    file: serviceFile,
    message: /over the limit of 1 MiB/,
    bomb: true,
  },
  {
    name: 'a Canary file of 8 MiB of zeros',
    files: (ns) => ({ ...pair(ns), [canaryFile]: `${canary(ns)}# ${'0'.repeat(8 * 1024 * 1024)}\n` }),
    file: canaryFile,
    message: /over the limit of 1 MiB/,
    bomb: true,
  },
  {
    name: 'a generated file over 1 MiB',
    files: (ns) => ({ ...pair(ns), [generatedFile]: `# ${'x'.repeat(2 * 1024 * 1024)}\n` }),
    file: generatedFile,
    message: /over the limit of 1 MiB/,
    bomb: true,
  },
  {
    name: 'a file of NUL bytes',
    files: () => ({ 'apps/other/binary.yaml': '\0'.repeat(4096) }),
    file: 'apps/other/binary.yaml',
    message: /not a YAML text file/,
  },
  {
    name: 'a UTF-16 file',
    files: (ns) => ({
      'apps/other/utf16.yaml': Buffer.from(`\uFEFF${service(ns)}`, 'utf16le'),
    }),
    file: 'apps/other/utf16.yaml',
    message: /not a YAML text file|invalid YAML/,
  },
  {
    name: 'a generated file with NUL bytes',
    files: (ns) => ({ ...pair(ns), [generatedFile]: 'a: \0\n' }),
    file: generatedFile,
    message: /not a YAML text file/,
  },
  {
    name: 'an unclosed flow sequence',
    files: (ns) => pair(ns, {}, { top: 'broken: [a, b\n' }),
    file: serviceFile,
    message: /invalid YAML/,
  },
  {
    name: 'tabs for indentation',
    files: (ns) => pair(ns, {}, { top: 'x:\n\ty: 1\n' }),
    file: serviceFile,
    message: /invalid YAML/,
  },
  {
    name: 'a duplicated key',
    files: (ns) => pair(ns, {}, { metadata: '  labels:\n    a: x\n    a: y\n' }),
    file: serviceFile,
    message: /invalid YAML: duplicated mapping key/,
  },
  {
    name: 'an unknown tag',
    files: (ns) => pair(ns, {}, { top: 'f: !!js/function "function () {}"\n' }),
    file: serviceFile,
    message: /invalid YAML: unknown/,
  },
  {
    name: 'an undefined alias',
    files: (ns) => pair(ns, {}, { top: 'x: *nowhere\n' }),
    file: serviceFile,
    message: /invalid YAML: unidentified alias/,
  },
  {
    name: 'a broken generated file',
    files: (ns) => ({ ...pair(ns), [generatedFile]: 'state: [\n' }),
    file: generatedFile,
    message: /invalid YAML/,
  },
  {
    name: 'a generated file nested too deep',
    files: (ns) => ({ ...pair(ns), [generatedFile]: deepFlow(500) }),
    file: generatedFile,
    message: /nesting exceeded maxDepth/,
  },
  {
    name: 'a generated file with an unknown phase',
    files: (ns) => ({
      ...pair(ns),
      [generatedFile]: `apiVersion: gitcanary.dev/v1alpha1\nkind: CanaryState\nmetadata:\n  name: other\n  namespace: ${ns}\nspec:\n  phase: Exploded\n`,
    }),
    file: generatedFile,
    message: /./,
  },
  {
    name: 'a BOM before the document of a bad Canary',
    files: (ns) => ({
      ...pair(ns),
      [canaryFile]: `${service(ns, { name: 'unused' })}---\n\uFEFF${canary(ns, { name: '"../x"' })}`,
    }),
    file: canaryFile,
    message: /DNS-1123 subdomain/,
  },
  {
    name: 'BOMs before every document of a bad Canary',
    files: (ns) => ({
      ...pair(ns),
      [canaryFile]: `\uFEFF${service(ns, { name: 'unused' })}---\n\uFEFF---\n\uFEFF${canary(ns, { target: 'Other' })}`,
    }),
    file: canaryFile,
    message: /DNS-1035/,
  },

  // Keys that name a prototype.
  {
    name: 'a __proto__ label on a Service',
    files: (ns) => pair(ns, {}, { metadata: '  labels:\n    __proto__: x\n' }),
    file: serviceFile,
    message: /the key "__proto__" is refused/,
  },
  {
    name: 'a __proto__ mapping in a Service',
    files: (ns) => pair(ns, {}, { top: '__proto__:\n  polluted: true\n' }),
    file: serviceFile,
    message: /the key "__proto__" is refused/,
  },
  {
    name: 'a __proto__ selector',
    files: (ns) =>
      pair(ns, {}, { spec: '  selector:\n    __proto__:\n      app: x\n  ports:\n    - port: 80\n' }),
    file: serviceFile,
    message: /the key "__proto__" is refused/,
  },
  {
    name: 'a constructor key in a Canary',
    files: (ns) => pair(ns, { spec: '  constructor:\n    prototype: {}\n' }),
    file: canaryFile,
    message: /the key "constructor" is refused/,
  },
  {
    name: 'a prototype key in a Canary analysis',
    files: (ns) => pair(ns, { analysis: '    prototype: 1\n' }),
    file: canaryFile,
    message: /the key "prototype" is refused/,
  },
  {
    name: 'a __proto__ key in a MetricTemplate',
    files: (ns) => ({
      'apps/other/template.yaml': `apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: t\n  namespace: ${ns}\nspec:\n  provider:\n    type: prometheus\n  query: up\n  __proto__: {}\n`,
    }),
    file: 'apps/other/template.yaml',
    message: /the key "__proto__" is refused/,
  },
  {
    name: 'a __proto__ key in a generated file',
    files: (ns) => ({
      ...pair(ns),
      [generatedFile]: `apiVersion: gitcanary.dev/v1alpha1\nkind: CanaryState\nmetadata:\n  name: other\n  namespace: ${ns}\nspec:\n  __proto__:\n    phase: Succeeded\n`,
    }),
    file: generatedFile,
    message: /the key "__proto__" is refused/,
  },

  // Names of the Canary, its namespace, its target and what is made of them.
  ...canaryNames.map((name) => ({
    name: `a Canary named ${name.slice(0, 20)}`,
    files: (ns: string) => pair(ns, { name }),
    file: canaryFile,
    message: nameProblem,
  })),
  ...namespaces.map((namespace) => ({
    name: `a Canary in namespace ${namespace.slice(0, 20)}`,
    files: (ns: string) => pair(ns, { namespace }),
    file: canaryFile,
    message: nameProblem,
  })),
  ...targetNames.map((target) => ({
    name: `a target named ${target.slice(0, 20)} (${target.length})`,
    files: (ns: string) => pair(ns, { target }),
    file: canaryFile,
    message: /DNS-1035|over the limit of 63/,
  })),
  {
    name: 'a target in another namespace',
    files: (ns) => pair(ns, { target: 'other\n    namespace: kube-system' }),
    file: canaryFile,
    message: /the target must be in the Canary's namespace/,
  },
  {
    name: 'an apex name with a dot',
    files: (ns) => pair(ns, { service: '    name: a.b\n' }),
    file: canaryFile,
    message: /DNS-1035/,
  },
  {
    name: 'an apex name of 64 characters',
    files: (ns) => pair(ns, { service: `    name: ${'a'.repeat(64)}\n` }),
    file: canaryFile,
    message: /over the limit of 63/,
  },
  {
    name: 'a primary label key with two slashes',
    files: (ns) => pair(ns, { service: '    primary:\n      labels:\n        a/b/c: x\n' }),
    file: canaryFile,
    message: /more than one '\/'/,
  },
  {
    name: 'a primary label value with a space',
    files: (ns) => pair(ns, { service: '    primary:\n      labels:\n        tier: "a b"\n' }),
    file: canaryFile,
    message: /is not a label value/,
  },
  {
    name: 'a canary label value of 64 characters',
    files: (ns) => pair(ns, { service: `    canary:\n      labels:\n        tier: ${'v'.repeat(64)}\n` }),
    file: canaryFile,
    message: /over the limit of 63/,
  },
  {
    name: 'an apex annotation key with a space',
    files: (ns) => pair(ns, { service: '    apex:\n      annotations:\n        "a b": x\n' }),
    file: canaryFile,
    message: /is not a qualified name/,
  },
  {
    name: 'canary annotations of 300 KB',
    files: (ns) =>
      pair(ns, { service: `    canary:\n      annotations:\n        note: ${'n'.repeat(300 * 1024)}\n` }),
    file: canaryFile,
    message: /over the limit of 256 KiB/,
  },

  // What gitcanary copies from a target Service.
  ...serviceNames.map((name) => ({
    name: `a Service named ${name.slice(0, 20)}`,
    files: (ns: string) => ({
      [canaryFile]: canary(ns, { target: 'other' }),
      [serviceFile]: service(ns, { name }),
    }),
    file: serviceFile,
    message: /DNS-1035|over the limit of 63/,
  })),
  ...namespaces.map((namespace) => ({
    name: `a Service in namespace ${namespace.slice(0, 20)}`,
    files: (ns: string) => ({ [canaryFile]: canary(ns), [serviceFile]: service(ns, { namespace }) }),
    file: serviceFile,
    message: /DNS-1123 label|over the limit of 63/,
  })),
  ...labelKeys.map((key) => ({
    name: `a Service label key ${key.slice(0, 24)}`,
    files: (ns: string) => pair(ns, {}, { metadata: `  labels:\n    ${key}: x\n` }),
    file: serviceFile,
    message: /qualified name|more than one '\/'|empty prefix|prefix of the key|has a name of/,
  })),
  ...labelValues.map((value) => ({
    name: `a Service label value ${value.slice(0, 24)}`,
    files: (ns: string) => pair(ns, {}, { metadata: `  labels:\n    tier: ${value}\n` }),
    file: serviceFile,
    message: /is not a label value|over the limit of 63/,
  })),
  {
    name: 'a Service label value that is a number',
    files: (ns) => pair(ns, {}, { metadata: '  labels:\n    tier: 1\n' }),
    file: serviceFile,
    message: /must be a string/,
  },
  ...labelKeys.map((key) => ({
    name: `a selector key ${key.slice(0, 24)}`,
    files: (ns: string) => pair(ns, {}, { spec: `  selector:\n    ${key}: x\n  ports:\n    - port: 80\n` }),
    file: serviceFile,
    message: /qualified name|more than one '\/'|empty prefix|prefix of the key|has a name of/,
  })),
  ...labelValues.map((value) => ({
    name: `a selector value ${value.slice(0, 24)}`,
    files: (ns: string) =>
      pair(ns, {}, { spec: `  selector:\n    app: ${value}\n  ports:\n    - port: 80\n` }),
    file: serviceFile,
    message: /is not a label value|over the limit of 63/,
  })),
  {
    name: 'a selector that is a string',
    files: (ns) => pair(ns, {}, { spec: '  selector: app=other\n  ports:\n    - port: 80\n' }),
    file: serviceFile,
    message: /must be a map of labels/,
  },
  {
    name: 'an annotation key with a space',
    files: (ns) => pair(ns, {}, { metadata: '  annotations:\n    "a b": x\n' }),
    file: serviceFile,
    message: /is not a qualified name/,
  },
  {
    name: 'annotations of 300 KB',
    files: (ns) => pair(ns, {}, { metadata: `  annotations:\n    note: ${'n'.repeat(300 * 1024)}\n` }),
    file: serviceFile,
    message: /over the limit of 256 KiB/,
  },
  {
    name: 'annotations of 1 MB',
    files: (ns) => pair(ns, {}, { metadata: `  annotations:\n    note: ${'n'.repeat(1_000_000)}\n` }),
    file: serviceFile,
    message: /over the limit of 256 KiB/,
    bomb: true,
  },
  {
    name: 'annotations of 200 keys of 2 KB',
    files: (ns) =>
      pair(
        ns,
        {},
        {
          metadata: `  annotations:\n${Array.from({ length: 200 }, (_, i) => `    k${i}: ${'v'.repeat(2048)}`).join('\n')}\n`,
        },
      ),
    file: serviceFile,
    message: /over the limit of 256 KiB/,
  },
  ...externalNames.map((host) => ({
    name: `an ExternalName ${host.slice(0, 24)}`,
    files: (ns: string) => pair(ns, {}, { spec: `  type: ExternalName\n  externalName: ${host}\n` }),
    file: serviceFile,
    message: /DNS-1123 subdomain|over the limit of 253/,
  })),
  {
    name: 'an ExternalName that is a number',
    files: (ns) => pair(ns, {}, { spec: '  type: ExternalName\n  externalName: 12\n' }),
    file: serviceFile,
    message: /must be a host name/,
  },

  // The spec fields of a target Service that gitcanary copies: ports and type.
  ...servicePorts.map(([name, ports, message]) => ({
    name,
    files: (ns: string) => pair(ns, {}, { spec: `  selector:\n    app: other\n  ports:\n${ports}` }),
    file: serviceFile,
    message,
  })),
  {
    name: 'ports that are a mapping',
    files: (ns) => pair(ns, {}, { spec: '  selector:\n    app: other\n  ports:\n    port: 80\n' }),
    file: serviceFile,
    message: /must be a list of ports/,
  },
  ...['Headless', 'clusterip', '[ClusterIP]'].map((type) => ({
    name: `a Service of type ${type}`,
    files: (ns: string) =>
      pair(ns, {}, { spec: `  type: ${type}\n  selector:\n    app: other\n  ports:\n    - port: 80\n` }),
    file: serviceFile,
    message: /is not one of ClusterIP, NodePort, LoadBalancer, ExternalName/,
  })),

  // The parents of the route gitcanary writes for a Gateway API Canary.
  ...gatewayRefs.map(([name, refs, message]) => ({
    name: `a gatewayRef ${name}`,
    files: (ns: string) => ({
      [canaryFile]: canary(ns, { service: `    gatewayRefs:\n${refs}` }).replace(
        'provider: kubernetes',
        'provider: gatewayapi',
      ),
      [serviceFile]: service(ns),
    }),
    file: canaryFile,
    message,
  })),

  // Tree entries no path may be made of.
  ...(
    [
      ['apps', '..', { 'evil.yaml': 'kind: Service\n' }, 'apps/..', /names no file/],
      ['', '..', { 'evil.yaml': 'kind: Service\n' }, '..', /names no file/],
      ['apps', '.', { 'evil.yaml': 'kind: Service\n' }, 'apps/.', /names no file/],
      ['', '.git', { 'config.yaml': 'kind: Service\n' }, '.git', /git's own folder/],
      ['apps/podinfo', '.GIT', { 'hooks.yaml': 'kind: Service\n' }, 'apps/podinfo/.GIT', /git's own folder/],
      ['apps', '.Git', 'kind: Service\n', 'apps/.Git', /git's own folder/],
      ['', '/etc', { 'passwd.yaml': 'kind: Service\n' }, '/etc', /path separator/],
      ['apps', 'a/../../b.yaml', 'kind: Service\n', 'apps/a/../../b.yaml', /path separator/],
      ['apps/other', '..\\x.yaml', 'kind: Service\n', 'apps/other/..\\x.yaml', /path separator/],
      ['apps', '..', 'kind: Service\n', 'apps/..', /names no file/],
    ] as const
  ).map(([parent, name, content, file, message]) => ({
    name: `a tree entry ${JSON.stringify(name)} in ${JSON.stringify(parent)}`,
    files: () => ({}),
    // What the entry holds is a Canary and its Service that would be released if the entry were followed.
    crafted: (ns: string) => {
      const released = `${service(ns)}---\n${canary(ns)}`;
      const folder =
        typeof content === 'string'
          ? released
          : Object.fromEntries(Object.keys(content).map((k) => [k, released]));
      return [{ parent, name, content: folder }];
    },
    file,
    message,
  })),

  // Canaries the schema refuses.
  {
    name: 'a negative stepWeight',
    files: (ns) => pair(ns, { analysis: '    stepWeight: -5\n' }),
    file: canaryFile,
    message: /stepWeight/,
  },
  {
    name: 'a maxWeight that is a string',
    files: (ns) => pair(ns, { analysis: '    maxWeight: lots\n' }),
    file: canaryFile,
    message: /maxWeight/,
  },
  {
    name: 'an interval that is no duration',
    files: (ns) => ({
      [canaryFile]: canary(ns).replace('interval: 1m', 'interval: forever'),
      [serviceFile]: service(ns),
    }),
    file: canaryFile,
    message: /interval/,
  },
  {
    name: 'a negative threshold',
    files: (ns) => pair(ns, { analysis: '    threshold: -1\n' }),
    file: canaryFile,
    message: /threshold/,
  },
  {
    name: 'iterations that are a word',
    files: (ns) => ({
      [canaryFile]: canary(ns).replace('iterations: 3', 'iterations: ten'),
      [serviceFile]: service(ns),
    }),
    file: canaryFile,
    message: /iterations/,
  },
  {
    name: 'an unsupported provider',
    files: (ns) => ({
      [canaryFile]: canary(ns).replace('provider: kubernetes', 'provider: gloo'),
      [serviceFile]: service(ns),
    }),
    file: canaryFile,
    message: /provider/,
  },
  {
    name: 'a Deployment target',
    files: (ns) => ({
      [canaryFile]: canary(ns).replace('kind: Service', 'kind: Deployment'),
      [serviceFile]: service(ns),
    }),
    file: canaryFile,
    message: /must be Service/,
  },
  {
    name: 'no analysis',
    files: (ns) => ({
      [canaryFile]: canary(ns).replace(/ {2}analysis:\n(?: {4}.*\n)*/, ''),
      [serviceFile]: service(ns),
    }),
    file: canaryFile,
    message: /analysis: required/,
  },
  {
    name: 'no targetRef',
    files: (ns) => ({
      [canaryFile]: canary(ns).replace(/ {2}targetRef:\n(?: {4}.*\n)*/, ''),
      [serviceFile]: service(ns),
    }),
    file: canaryFile,
    message: /targetRef: required/,
  },
  {
    name: 'spec that is a list',
    files: (ns) => ({
      [canaryFile]: `apiVersion: gitcanary.dev/v1alpha1\nkind: Canary\nmetadata:\n  name: other\n  namespace: ${ns}\nspec: [1, 2]\n`,
    }),
    file: canaryFile,
    message: /spec/,
  },
  {
    name: 'metadata that is a string',
    files: () => ({
      [canaryFile]: 'apiVersion: gitcanary.dev/v1alpha1\nkind: Canary\nmetadata: other\nspec: {}\n',
    }),
    file: canaryFile,
    message: /metadata/,
  },
  {
    name: 'a webhook to a file URL',
    files: (ns) =>
      pair(ns, { analysis: '    webhooks:\n      - name: load\n        url: file:///etc/passwd\n' }),
    file: canaryFile,
    message: /url/,
  },
  {
    name: 'a webhook timeout of -1s',
    files: (ns) =>
      pair(ns, {
        analysis:
          '    webhooks:\n      - name: load\n        url: http://load.example.com/\n        timeout: forever\n',
      }),
    file: canaryFile,
    message: /timeout/,
  },
  {
    name: 'a webhook with negative retries',
    files: (ns) =>
      pair(ns, {
        analysis:
          '    webhooks:\n      - name: load\n        url: http://load.example.com/\n        retries: -1\n',
      }),
    file: canaryFile,
    message: /retries/,
  },
  {
    name: 'a metric with a missing template',
    files: (ns) =>
      pair(ns, {
        analysis:
          '    metrics:\n      - name: errors\n        templateRef:\n          name: nowhere\n        thresholdRange:\n          max: 1\n',
      }),
    file: canaryFile,
    message: /nowhere|template/i,
  },
  {
    name: 'a metric threshold that is a word',
    files: (ns) =>
      pair(ns, {
        analysis:
          '    metrics:\n      - name: request-success-rate\n        thresholdRange:\n          min: high\n',
      }),
    file: canaryFile,
    message: /thresholdRange|min/,
  },
  {
    name: 'an unsupported Canary apiVersion',
    files: (ns) => pair(ns, { apiVersion: 'flagger.app/v1alpha1' }),
    file: canaryFile,
    message: /not supported/,
  },
  {
    name: 'a MetricTemplate of an unsupported apiVersion',
    files: (ns) => ({
      'apps/other/template.yaml': `apiVersion: flagger.app/v1alpha1\nkind: MetricTemplate\nmetadata:\n  name: t\n  namespace: ${ns}\nspec:\n  query: up\n`,
    }),
    file: 'apps/other/template.yaml',
    message: /not supported/,
  },
  {
    name: 'a MetricTemplate without a query',
    files: (ns) => ({
      'apps/other/template.yaml': `apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: t\n  namespace: ${ns}\nspec:\n  provider:\n    type: prometheus\n`,
    }),
    file: 'apps/other/template.yaml',
    message: /query/,
  },
  {
    name: 'a service port of 70000',
    files: (ns) => ({
      [canaryFile]: canary(ns).replace('port: 80', 'port: 70000'),
      [serviceFile]: service(ns),
    }),
    file: canaryFile,
    message: /65535/,
  },
  {
    name: 'skipAnalysis that is a word',
    files: (ns) => pair(ns, { spec: '  skipAnalysis: maybe\n' }),
    file: canaryFile,
    message: /skipAnalysis/,
  },
  {
    name: 'a Canary whose target is missing',
    files: (ns) => ({ [canaryFile]: canary(ns, { target: 'nowhere' }) }),
    file: canaryFile,
    message: /is not defined in the repository/,
  },
  {
    name: 'a Canary defined twice',
    files: (ns) => ({ ...pair(ns), 'apps/other/again.yaml': canary(ns) }),
    file: canaryFile,
    message: /defined more than once/,
  },
  {
    name: 'a Service defined twice',
    files: (ns) => ({ ...pair(ns), 'apps/other/again.yaml': service(ns) }),
    file: canaryFile,
    message: /defined more than once/,
  },
];
