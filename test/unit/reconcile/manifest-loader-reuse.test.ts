// A load after another reuses what the changes did not touch (the Canaries joined before); whatever it
// reuses, its result must be the one a fresh loader gives for the same commit. Random commits over a small
// repository whose objects refer to each other (targets, templates, Ingresses, providers, with clashes
// and missing ones) check that.
import { describe, expect, it } from 'vitest';
import type { ReadBlobOptions, RepositoryFile, TreeChange } from '../../../src/git/read-tree.js';
import { ManifestLoader, type LoadedCommit } from '../../../src/reconcile/manifest-loader.js';
import { random, type Random } from '../../support/random.js';

const names = ['a', 'b', 'c'];

/** Mostly the app's own name, sometimes another's: a clash or a Canary without its target. */
const nameFor = (r: Random, own: string) => (r.chance(0.85) ? own : r.pick(names));

function serviceDoc(r: Random, own = r.pick(names)): string {
  const ports = r.chance(0.85) ? '\n  ports: [{ port: 9898 }]' : '';
  const version = `v${Math.floor(r.next() * 5)}`;
  return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${nameFor(r, own)}\n  namespace: apps\n  labels: { app.kubernetes.io/version: ${version} }\nspec:\n  selector: { app: x }${ports}\n`;
}

function canaryDoc(r: Random, own = r.pick(names)): string {
  const nginx = r.chance(0.3);
  const metrics = r.chance(0.5)
    ? `\n    metrics:\n      - name: errors\n        templateRef: { name: ${r.pick(['t1', 't2'])} }\n        thresholdRange: { max: 1 }\n        interval: 1m`
    : '';
  const alerts = r.chance(0.8)
    ? `\n    alerts:\n      - { name: on-call, providerRef: { name: ${r.pick(['p1', 'p2'])} } }`
    : '';
  const routing = nginx ? '\n  provider: nginx\n  ingressRef: { name: web }' : '';
  const unknown = r.chance(0.1) ? '\n  unheardOf: 1' : '';
  return `apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: ${nameFor(r, own)}\n  namespace: apps\nspec:${routing}${unknown}\n  targetRef: { apiVersion: v1, kind: Service, name: ${r.chance(0.9) ? own : r.pick([...names, 'd'])} }\n  service: { port: 9898 }\n  analysis:\n    interval: 1m\n    iterations: 2\n    stepWeight: 10\n    maxWeight: 50${metrics}${alerts}\n`;
}

const templateDoc = (r: Random) =>
  `apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: { name: ${r.pick(['t1', 't2'])}, namespace: apps }\nspec:\n  provider: { type: prometheus, address: http://prometheus:9090 }\n  query: ${r.pick(['sum(up)', 'sum(up{job="{{ variables.job }}"})'])}\n`;

const ingressDoc = (r: Random) =>
  `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: web, namespace: apps }\nspec:\n  rules:\n    - http:\n        paths:\n          - { path: /, pathType: Prefix, backend: { service: { name: ${r.pick(['a', 'b'])}-primary, port: { number: 80 } } } }\n`;

const providerDoc = (r: Random, name = r.pick(['p1', 'p2'])) =>
  `apiVersion: flagger.app/v1beta1\nkind: AlertProvider\nmetadata: { name: ${name}, namespace: apps }\nspec:\n  type: generic\n  address: https://hooks.example/${r.pick(['x', 'y'])}\n`;

const otherDoc = (r: Random) =>
  r.pick([
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: a }\n',
    'kind: Service\nmetadata: [not, a, map]\n',
    'key: : broken yaml: [\n',
  ]);

const anyDoc = [
  (r: Random) => serviceDoc(r),
  (r: Random) => canaryDoc(r),
  templateDoc,
  ingressDoc,
  providerDoc,
  otherDoc,
];

/** Each file mostly holds one kind, so that many Canaries resolve and a change is often to what they read. */
const kinds: Record<string, readonly ((r: Random) => string)[]> = {
  'apps/a/service.yaml': [(r) => serviceDoc(r, 'a')],
  'apps/a/canary.yaml': [(r) => canaryDoc(r, 'a')],
  'apps/b/service.yaml': [(r) => serviceDoc(r, 'b')],
  'apps/b/canary.yaml': [(r) => canaryDoc(r, 'b')],
  'apps/c/more.yaml': anyDoc,
  'shared/templates.yaml': [templateDoc],
  'shared/ingress.yaml': [ingressDoc],
  'shared/providers.yaml': [(r) => `${providerDoc(r, 'p1')}---\n${providerDoc(r, 'p2')}`],
  'README.md': [otherDoc],
  'apps/a/a.gitcanary.yaml': [(r) => `state: ${r.pick(['1', '2', '3'])}\n`],
};
const paths = Object.keys(kinds);

function fileText(r: Random, path: string): string {
  const count = path === 'apps/c/more.yaml' ? 1 + Math.floor(r.next() * 3) : 1;
  const docs = Array.from({ length: count }, () =>
    r.pick(r.chance(0.9) ? (kinds[path] ?? anyDoc) : anyDoc)(r),
  );
  return docs.join('---\n');
}

/** A store of blobs, and commits as path → text; a blob's id is its text's, so an unchanged file keeps it. */
function store() {
  const blobs = new Map<string, string>();
  const commits = new Map<string, RepositoryFile[]>();
  const oidOf = (text: string) => {
    for (const [oid, known] of blobs) if (known === text) return oid;
    const oid = `blob-${blobs.size}`;
    blobs.set(oid, text);
    return oid;
  };
  return {
    commit(head: string, files: ReadonlyMap<string, string>) {
      // Listed by path, as a tree is: a file deleted and written again does not move.
      commits.set(
        head,
        [...files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, text]) => ({ path, oid: oidOf(text) })),
      );
    },
    listings: 0,
    listFiles(head: string, filter: (path: string) => boolean = () => true) {
      this.listings += 1;
      return Promise.resolve((commits.get(head) ?? []).filter((file) => filter(file.path)));
    },
    /** As git's tree diff gives them: the paths whose blob differs. */
    listChanges(from: string, to: string, filter: (path: string) => boolean = () => true) {
      const before = new Map((commits.get(from) ?? []).map((file) => [file.path, file.oid]));
      const after = new Map((commits.get(to) ?? []).map((file) => [file.path, file.oid]));
      const changes: TreeChange[] = [];
      for (const [path, oid] of after) {
        const old = before.get(path);
        if (old !== oid) changes.push({ path, after: oid, ...(old !== undefined ? { before: old } : {}) });
      }
      for (const [path, oid] of before) if (!after.has(path)) changes.push({ path, before: oid });
      return Promise.resolve(changes.filter((change) => filter(change.path)));
    },
    readBlob: (oid: string, _options: ReadBlobOptions = {}) => Promise.resolve(blobs.get(oid) ?? ''),
  };
}

describe('a load after another', () => {
  it.each(Array.from({ length: 40 }, (_, seed) => seed))(
    'gives what a fresh load of the same commit gives, for random commits (seed %i)',
    async (seed) => {
      const r = random(seed);
      const repo = store();
      const files = new Map<string, string>();
      for (const path of paths) if (r.chance(0.8)) files.set(path, fileText(r, path));
      // Every other seed with a pass budget some commits go over, where which files fit is the listing's say.
      const limits = seed % 2 === 1 ? { maxBytes: 2500, maxNodes: 100_000 } : undefined;
      const options = { defaultNamespace: 'default' };
      const loader = new ManifestLoader(repo, '', options, limits);

      for (let commit = 0; commit < 12; commit += 1) {
        const changes = 1 + Math.floor(r.next() * 2);
        for (let i = 0; i < changes; i += 1) {
          const path = r.pick(paths);
          if (r.chance(0.15)) files.delete(path);
          else files.set(path, fileText(r, path));
        }
        const head = `c${commit}`;
        repo.commit(head, files);

        const loaded = await loader.load(head);
        const fresh = await new ManifestLoader(repo, '', options, limits).load(head);

        // `from` says how it was loaded, not what: a fresh load has none. The blob ids in listing order.
        const comparable = (commit: LoadedCommit) => ({
          ...commit,
          oids: [...commit.oids],
          freshWarnings: [],
          from: undefined,
        });
        expect(comparable(loaded)).toEqual(comparable(fresh));
      }
    },
  );

  it('keeps the joined Canary of an untouched app, and joins again the one whose target changed', async () => {
    const service = (name: string, version: string) =>
      `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: apps, labels: { v: ${version} } }\nspec:\n  ports: [{ port: 9898 }]\n`;
    const canary = (name: string) =>
      `apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: { name: ${name}, namespace: apps }\nspec:\n  targetRef: { apiVersion: v1, kind: Service, name: ${name} }\n  service: { port: 9898 }\n  analysis: { interval: 1m, iterations: 2 }\n`;
    const repo = store();
    const files = new Map([
      ['apps/a/service.yaml', service('a', 'v1')],
      ['apps/a/canary.yaml', canary('a')],
      ['apps/b/service.yaml', service('b', 'v1')],
      ['apps/b/canary.yaml', canary('b')],
    ]);
    repo.commit('one', files);
    repo.commit('two', new Map([...files, ['apps/b/service.yaml', service('b', 'v2')]]));
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });

    const [a1, b1] = (await loader.load('one')).assembled.canaries;
    const [a2, b2] = (await loader.load('two')).assembled.canaries;

    expect(a2).toBe(a1);
    expect(b2).not.toBe(b1);
    // The second commit was diffed with the first, not listed.
    expect(repo.listings).toBe(1);
    expect(b2?.target.object).toMatchObject({ metadata: { labels: { v: 'v2' } } });
  });
});
