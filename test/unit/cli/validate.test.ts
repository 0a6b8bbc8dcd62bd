import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatReport, validateCheckout } from '../../../src/cli/commands/validate.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function checkout(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-validate-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const example = (file: string) => readFile(join('examples/podinfo', file), 'utf8');

describe('gitcanary validate', () => {
  it('passes the worked example with a one-line summary', async () => {
    const dir = await checkout({
      'podinfo/service.yaml': await example('service.yaml'),
      'podinfo/canary.yaml': await example('canary.yaml'),
      'README.md': '# not a manifest',
    });

    const report = await validateCheckout(dir, { defaultNamespace: 'default' });

    expect(report).toEqual({ files: 2, canaries: ['demo/podinfo'], errors: [], warnings: [] });
    expect(formatReport(report, (f) => f)).toBe('ok: 2 manifest files, 1 Canary\n');
  });

  it('names the file and the line of a bad field, and the line and column of a YAML error', async () => {
    const dir = await checkout({
      'podinfo/service.yaml': await example('service.yaml'),
      'podinfo/canary.yaml': `# leading comment\n---\n${(await example('canary.yaml')).replace('stepWeight: 10', 'stepWeight: -4')}`,
      'garbled.yml': 'kind: Canary\nmetadata: [unclosed\n',
      '.git/ignored.yaml': 'not: [read',
      'node_modules/x/ignored.yaml': 'not: [read',
    });

    const report = await validateCheckout(dir, { defaultNamespace: 'default' });
    const text = formatReport(report, (f) => f);

    const canaryLines = (await example('canary.yaml')).split('\n');
    const stepLine = canaryLines.findIndex((l) => l.includes('stepWeight')) + 1 + 2;
    expect(text).toBe(
      [
        'garbled.yml:3:1: invalid YAML: deficient indentation',
        `podinfo/canary.yaml:${stepLine}: spec.analysis.stepWeight: must be a whole number of percent (0 or more; above 100 is taken as 100)`,
        '2 errors in 3 manifest files (0 Canaries valid)',
        '',
      ].join('\n'),
    );
  });

  it('refuses what the API server would: a Canary named ../x, a target too long for -primary, a bad label, and a file over 1 MiB', async () => {
    const canary = await example('canary.yaml');
    const dir = await checkout({
      'podinfo/service.yaml': await example('service.yaml'),
      'podinfo/canary.yaml': canary,
      'escape/canary.yaml': canary.replace(/^ {2}name: podinfo$/m, '  name: "../x"'),
      'long/canary.yaml': canary
        .replace(/^ {2}name: podinfo$/m, '  name: long')
        .replace(/^ {4}name: podinfo$/m, `    name: ${'a'.repeat(56)}`),
      'labels/service.yaml':
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: labelled\n  namespace: demo\n  labels:\n    "a b": x\nspec:\n  ports:\n    - port: 80\n',
      'large/service.yaml': `# ${'x'.repeat(1024 * 1024)}\n`,
    });

    const report = await validateCheckout(dir, { defaultNamespace: 'default' });

    expect(report.canaries).toEqual(['demo/podinfo']);
    expect(report.errors.map((e) => [e.file, e.field, e.message.replace(/"a{56}"/, '"a…"')])).toEqual([
      [
        'escape/canary.yaml',
        'metadata.name',
        expect.stringMatching(/^"\.\.\/x" is not a DNS-1123 subdomain/) as unknown,
      ],
      [
        'labels/service.yaml',
        'metadata.labels["a b"]',
        expect.stringMatching(/is not a qualified name/) as unknown,
      ],
      ['large/service.yaml', undefined, expect.stringMatching(/over the limit of 1 MiB/) as unknown],
      [
        'long/canary.yaml',
        'spec.targetRef.name',
        expect.stringMatching(/would be 64 characters, over the limit of 63/) as unknown,
      ],
    ]);
  });

  it('falls back to file#document when the field is absent, and reports a missing target', async () => {
    const canary = (await example('canary.yaml')).replace(
      'name: podinfo\n  provider',
      'name: nothing\n  provider',
    );
    const dir = await checkout({ 'canary.yaml': canary });

    const report = await validateCheckout(dir, { defaultNamespace: 'default' });

    expect(report.errors).toMatchObject([
      {
        file: 'canary.yaml',
        field: 'spec.targetRef.name',
        message: 'target Service demo/nothing is not defined in the repository',
      },
    ]);
    expect(report.errors[0]?.line).toBeGreaterThan(1);
  });

  it('reports a generated file broken by hand', async () => {
    const dir = await checkout({
      'podinfo/service.yaml': await example('service.yaml'),
      'podinfo/canary.yaml': await example('canary.yaml'),
      'podinfo/podinfo.gitcanary.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
    });

    const report = await validateCheckout(dir, { defaultNamespace: 'default' });

    expect(report.errors).toMatchObject([{ file: 'podinfo/podinfo.gitcanary.yaml', canary: 'demo/podinfo' }]);
  });

  describe('the kustomization beside a Canary', () => {
    const withKustomization = async (kustomization: string) =>
      validateCheckout(
        await checkout({
          'podinfo/service.yaml': await example('service.yaml'),
          'podinfo/canary.yaml': await example('canary.yaml'),
          'podinfo/kustomization.yaml': kustomization,
        }),
        { defaultNamespace: 'default' },
      );

    it('passes labels kept out of selectors, annotations and a namespace', async () => {
      const report = await withKustomization(
        'labels:\n  - pairs: {team: web}\n    includeSelectors: false\ncommonAnnotations: {a: b}\nresources: [service.yaml, canary.yaml]\n',
      );

      expect(report.errors).toEqual([]);
    });

    it.each([
      [
        'commonLabels',
        'commonLabels:\n  team: web\n',
        1,
        /use `labels: \[\{pairs: \{…\}, includeSelectors: false\}\]` instead/,
      ],
      [
        'labels[0].includeSelectors',
        'labels:\n  - pairs: {team: web}\n    includeSelectors: true\n',
        3,
        /set includeSelectors: false/,
      ],
      [
        'namePrefix',
        'namePrefix: prod-\n',
        1,
        /write the full name in metadata\.name of the target Service and the Canary/,
      ],
      [
        'nameSuffix',
        'nameSuffix: -v2\n',
        1,
        /renames the generated Services but not the route's backendRefs/,
      ],
    ])('refuses %s, naming what to write instead', async (field, text, line, message) => {
      const report = await withKustomization(`${text}resources: [service.yaml, canary.yaml]\n`);

      expect(report.errors).toEqual([
        expect.objectContaining({ file: 'podinfo/kustomization.yaml', field, line, canary: 'demo/podinfo' }),
      ]);
      expect(report.errors[0]?.message).toMatch(message);
    });

    it('reads a kustomization named Kustomization too', async () => {
      const report = await validateCheckout(
        await checkout({
          'podinfo/service.yaml': await example('service.yaml'),
          'podinfo/canary.yaml': await example('canary.yaml'),
          'podinfo/Kustomization': 'namePrefix: prod-\n',
        }),
        { defaultNamespace: 'default' },
      );

      expect(report.errors).toMatchObject([{ file: 'podinfo/Kustomization', field: 'namePrefix' }]);
    });
  });
});
