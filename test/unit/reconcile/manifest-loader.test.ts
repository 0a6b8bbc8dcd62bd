import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { countYamlNodes } from '../../../src/core/count-yaml-nodes.js';
import { blobOid } from '../../../src/git/blob-oid.js';
import { BlobTooLargeError } from '../../../src/git/errors.js';
import type { ReadBlobOptions, RepositoryFile } from '../../../src/git/read-tree.js';
import { ManifestLoader } from '../../../src/reconcile/manifest-loader.js';

const service = (color: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\n  namespace: apps\nspec:\n  selector:\n    app: podinfo-${color}\n`;
const canary = `apiVersion: gitcanary.dev/v1alpha1\nkind: Canary\nmetadata:\n  name: podinfo\n  namespace: apps\nspec:\n  targetRef: { apiVersion: v1, kind: Service, name: podinfo }\n  service: { port: 9898 }\n  analysis: { interval: 1m, iterations: 5 }\n`;
const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo-blue\n';

/** Commits as path → text; blob ids are the texts' own, so an unchanged file keeps its id. */
function repository(commits: Record<string, Record<string, string>>) {
  const blobs = new Map<string, string>();
  const reads: string[] = [];
  const oidOf = (text: string) => {
    for (const [oid, known] of blobs) if (known === text) return oid;
    const oid = `blob-${blobs.size}`;
    blobs.set(oid, text);
    return oid;
  };
  const trees = Object.fromEntries(
    Object.entries(commits).map(([head, files]) => [
      head,
      Object.entries(files).map(([path, text]): RepositoryFile => ({ path, oid: oidOf(text) })),
    ]),
  );
  return {
    reads,
    listFiles: (head: string, filter: (path: string) => boolean = () => true) =>
      Promise.resolve((trees[head] ?? []).filter((file) => filter(file.path))),
    readBlob: (oid: string, options: ReadBlobOptions = {}) => {
      reads.push(oid);
      const text = blobs.get(oid) ?? '';
      // As the object reader does: a blob over the limit is refused, never given.
      if (options.maxBytes !== undefined && text.length > options.maxBytes)
        return Promise.reject(new BlobTooLargeError(text.length, options.maxBytes));
      return Promise.resolve(text);
    },
  };
}

describe('the manifest loader', () => {
  const commits = {
    blue: {
      'apps/podinfo/service.yaml': service('blue'),
      'apps/podinfo/canary.yaml': canary,
      'apps/podinfo/deployment.yaml': deployment,
    },
    green: {
      'apps/podinfo/service.yaml': service('green'),
      'apps/podinfo/canary.yaml': canary,
      'apps/podinfo/deployment.yaml': deployment,
    },
  };

  it('reads and parses each file once, and on a new commit only the files whose blob changed', async () => {
    const repo = repository(commits);
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });

    const first = await loader.load('blue');
    const readsOfFirst = repo.reads.length;
    const second = await loader.load('green');

    expect(readsOfFirst).toBe(3);
    expect(repo.reads.slice(readsOfFirst)).toEqual([second.oids.get('apps/podinfo/service.yaml')]);
    // The unchanged Canary is the same parsed object, which is what lets a quiet plan be reused.
    expect(second.assembled.canaries[0]?.canary).toBe(first.assembled.canaries[0]?.canary);
    expect(second.assembled.canaries[0]?.target.object).toMatchObject({
      spec: { selector: { app: 'podinfo-green' } },
    });
  });

  it('advances over its own commit of generated files without listing or parsing, and loads after any other', async () => {
    const repo = repository(commits);
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });
    const first = await loader.load('blue');
    const reads = repo.reads.length;
    const generated = 'apps/podinfo/podinfo.gitcanary.yaml';
    const text = 'kind: CanaryState\n';

    const advanced = loader.advance(first, 'step', [{ path: generated, content: text }]);
    const readBack = await loader.text(advanced?.oids.get(generated) ?? '');
    const reverted = loader.advance(first, 'revert', [
      { path: generated, content: text },
      { path: 'apps/podinfo/service.yaml', content: service('blue') },
    ]);

    expect(advanced?.head).toBe('step');
    expect(advanced?.oids.get(generated)).toBe(blobOid(text));
    expect(advanced?.assembled).toBe(first.assembled);
    expect(readBack).toBe(text);
    expect(repo.reads.length).toBe(reads);
    expect(first.oids.has(generated)).toBe(false);
    expect(reverted).toBeUndefined();
  });

  it('names a blob as git does', () => {
    const text = 'apiVersion: v1\nkind: Service # é\n';
    const git = execFileSync('git', ['hash-object', '--stdin'], { input: text }).toString().trim();

    expect(blobOid(text)).toBe(git);
  });

  it('reports the warnings of a file once per revision of that file, not at every load', async () => {
    const warned = canary.replace(
      '  service: { port: 9898 }',
      '  service: { port: 9898, portDiscovery: true }',
    );
    const repo = repository({
      first: { 'apps/podinfo/service.yaml': service('blue'), 'apps/podinfo/canary.yaml': warned },
      second: { 'apps/podinfo/service.yaml': service('green'), 'apps/podinfo/canary.yaml': warned },
      third: {
        'apps/podinfo/service.yaml': service('green'),
        'apps/podinfo/canary.yaml': `${warned}# edited\n`,
      },
    });
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });

    const loads = [await loader.load('first'), await loader.load('second'), await loader.load('third')];

    expect(loads.map((l) => l.freshWarnings.map((w) => w.field))).toEqual([
      ['spec.service.portDiscovery'],
      [],
      ['spec.service.portDiscovery'],
    ]);
    expect(loads[1]?.assembled.warnings).toHaveLength(1);
  });

  it('joins a Canary with the Ingress of a file of its own, the same parsed object while its blob is unchanged', async () => {
    const nginx = canary
      .replace(
        '  service: { port: 9898 }',
        '  provider: nginx\n  ingressRef: { name: web }\n  service: { port: 9898 }',
      )
      .replace('iterations: 5', 'stepWeight: 10, maxWeight: 50');
    const ingress =
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: web, namespace: apps }\nspec:\n  rules:\n    - http:\n        paths:\n          - { path: /, pathType: Prefix, backend: { service: { name: podinfo-primary, port: { number: 80 } } } }\n';
    const files = { 'apps/podinfo/canary.yaml': nginx, 'apps/podinfo/ingress.yaml': ingress };
    const repo = repository({
      blue: { ...files, 'apps/podinfo/service.yaml': service('blue') },
      green: { ...files, 'apps/podinfo/service.yaml': service('green') },
    });
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });

    const [blue, green] = [await loader.load('blue'), await loader.load('green')];

    expect(blue.assembled.errors).toEqual([]);
    expect(blue.assembled.canaries[0]?.references?.ingress?.metadata.name).toBe('web');
    expect(green.assembled.canaries[0]?.references?.ingress).toBe(
      blue.assembled.canaries[0]?.references?.ingress,
    );
  });

  it('puts the line of the field into an error found across files (a missing target)', async () => {
    const repo = repository({ lonely: { 'apps/podinfo/canary.yaml': canary } });
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });

    const { assembled } = await loader.load('lonely');

    expect(assembled.errors).toMatchObject([{ field: 'spec.targetRef.name', line: 7 }]);
  });

  it("keeps only the last commit's parsed files, so memory follows the repository and not its history", async () => {
    const repo = repository(commits);
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });
    const blue = await loader.load('blue');
    await loader.load('green');
    const before = repo.reads.length;

    await loader.load('blue');

    expect(repo.reads.slice(before)).toEqual([blue.oids.get('apps/podinfo/service.yaml')]);
  });

  it('keeps a text it read until told to forget it', async () => {
    const repo = repository(commits);
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });
    const { oids } = await loader.load('blue');
    const oid = oids.get('apps/podinfo/deployment.yaml') ?? '';
    const before = repo.reads.length;

    const texts = [await loader.text(oid), await loader.text(oid)];
    loader.forget(oid);
    texts.push(await loader.text(oid));

    expect(texts).toEqual([deployment, deployment, deployment]);
    expect(repo.reads.length - before).toBe(2);
  });

  it('lets a text go once the loaded commit no longer holds its blob', async () => {
    const repo = repository(commits);
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });
    const blue = await loader.load('blue');
    const oid = blue.oids.get('apps/podinfo/service.yaml') ?? '';
    await loader.text(oid);
    await loader.load('green');
    const before = repo.reads.length;

    await loader.text(oid);

    expect(repo.reads.length - before).toBe(1);
  });

  it('gives a tree entry no path may be made of as an error for that entry, and reads the other files', async () => {
    const repo = repository({ head: commits.blue });
    const listFiles = repo.listFiles;
    const crafted = {
      ...repo,
      listFiles: async (head: string, filter?: (path: string) => boolean) => [
        ...(await listFiles(head, filter)),
        { path: 'apps/..', oid: 'f'.repeat(40), refused: 'the tree entry ".." names no file' },
      ],
    };
    const loader = new ManifestLoader(crafted, '', { defaultNamespace: 'default' });

    const { assembled, oids } = await loader.load('head');

    expect(assembled.canaries.map((r) => r.canary.name)).toEqual(['podinfo']);
    expect(assembled.errors).toEqual([
      { code: 'ManifestInvalid', file: 'apps/..', message: 'the tree entry ".." names no file' },
    ]);
    expect(oids.has('apps/..')).toBe(false);
  });

  it('does not read a file over 1 MiB: an error for that file, and the other files go on', async () => {
    const large = `${service('blue').replace('podinfo', 'large')}# ${'x'.repeat(1024 * 1024)}\n`;
    const repo = repository({
      head: { ...commits.blue, 'apps/large/service.yaml': large },
    });
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });

    const { assembled } = await loader.load('head');

    expect(assembled.canaries.map((r) => r.canary.name)).toEqual(['podinfo']);
    expect(assembled.errors).toEqual([
      {
        code: 'ManifestInvalid',
        file: 'apps/large/service.yaml',
        message: `the file is ${large.length.toLocaleString('en')} bytes, over the limit of 1 MiB of a file gitcanary reads; not read`,
      },
    ]);
  });

  describe('within the budget of a pass', () => {
    const files = {
      'apps/podinfo/canary.yaml': canary,
      'apps/podinfo/service.yaml': service('blue'),
      'apps/z/deployment.yaml': deployment,
    };
    const nodesOf = (text: string) => {
      const counted = countYamlNodes(text, Infinity);
      return counted.ok ? counted.nodes : Infinity;
    };
    // The Canary and its Service fit; the Deployment after them (in path order) does not.
    const limits = { maxBytes: 1024 * 1024, maxNodes: nodesOf(canary) + nodesOf(service('blue')) };

    it('does not read a file that would take the pass over its budget: an error for that file', async () => {
      const repo = repository({ head: files });
      const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' }, limits);

      const { assembled } = await loader.load('head');

      expect(assembled.canaries.map((r) => r.canary.name)).toEqual(['podinfo']);
      expect(assembled.errors).toEqual([
        {
          code: 'ManifestInvalid',
          file: 'apps/z/deployment.yaml',
          message: `not read: this file would take the manifests read in one pass over the limit of ${limits.maxNodes} YAML nodes; the files before it (in path order) are read`,
        },
      ]);
    });

    it('knows the cost of a file it did not keep, and reads it again only when it fits', async () => {
      const withoutCanary = Object.fromEntries(
        Object.entries(files).filter(([path]) => path !== 'apps/podinfo/canary.yaml'),
      );
      const repo = repository({ head: files, next: withoutCanary });
      const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' }, limits);
      await loader.load('head');
      const readsOfFirst = repo.reads.length;

      const again = await loader.load('head');
      const readsOfAgain = repo.reads.length;
      const next = await loader.load('next');

      expect(again.assembled.errors.map((e) => e.file)).toEqual(['apps/z/deployment.yaml']);
      expect(readsOfAgain).toBe(readsOfFirst);
      expect(next.assembled.errors).toEqual([]);
      expect(repo.reads.slice(readsOfAgain)).toEqual([next.oids.get('apps/z/deployment.yaml')]);
    });
  });

  it('reads a generated file back within the size limit, or gives the error of its Canary', async () => {
    const generated = `# ${'x'.repeat(1024 * 1024)}\n`;
    const repo = repository({
      head: { ...commits.blue, 'apps/podinfo/podinfo.gitcanary.yaml': generated },
    });
    const loader = new ManifestLoader(repo, '', { defaultNamespace: 'default' });
    const { assembled, oids } = await loader.load('head');
    const path = 'apps/podinfo/podinfo.gitcanary.yaml';
    const [resolved] = assembled.canaries;
    if (!resolved) throw new Error('the Canary was not read');

    const read = await loader.generatedFile(resolved.canary, path, oids.get(path) ?? '');

    expect(read).toEqual({
      ok: false,
      error: {
        code: 'ManifestInvalid',
        file: path,
        message: `the file is ${generated.length.toLocaleString('en')} bytes, over the limit of 1 MiB of a file gitcanary reads; not read`,
        canary: 'apps/podinfo',
      },
    });
  });
});
