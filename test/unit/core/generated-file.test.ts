import { describe, expect, it } from 'vitest';
import { parseGeneratedFile, parseOrphanedFile } from '../../../src/core/generated-file.js';
import { aCanary, minutes, Rollout } from './builders.js';

const rollout = new Rollout();
const rendered = rollout.reconcile(minutes(0)).content ?? '';
const { canary } = rollout.input;

describe('parseGeneratedFile', () => {
  it('reads back the file it rendered', () => {
    expect(parseGeneratedFile(canary, rendered)).toMatchObject({
      ok: true,
      file: { state: { phase: 'Initialized' } },
    });
  });

  it('reads it back when every document starts with a byte order mark', () => {
    const withBoms = `\uFEFF${rendered.replaceAll('---\n', '---\n\uFEFF')}`;

    expect(parseGeneratedFile(canary, withBoms)).toMatchObject({
      ok: true,
      file: { state: { phase: 'Initialized' } },
    });
  });

  it('refuses a file whose aliases expand beyond the budget, with the field and line where the copy stopped', () => {
    const lines = ['  lol0: &lol0 "lol"'];
    for (let i = 1; i <= 9; i += 1)
      lines.push(
        `  lol${i}: &lol${i} [${Array(10)
          .fill(`*lol${i - 1}`)
          .join(', ')}]`,
      );
    const bomb = rendered.replace('spec:\n', `bomb:\n${lines.join('\n')}\nspec:\n`);

    const started = performance.now();
    const parsed = parseGeneratedFile(canary, bomb);

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(parsed).toMatchObject({
      ok: false,
      line: expect.any(Number) as number,
      field: expect.stringMatching(/^bomb\.lol5\[/) as string,
      message: 'YAML aliases expand this document to more than 100,000 nodes',
    });
  });

  it('refuses a file over the size limit, and invalid YAML with its line', () => {
    expect(parseGeneratedFile(canary, `${rendered}# ${'x'.repeat(1024 * 1024)}\n`)).toEqual({
      ok: false,
      message: 'the file is over the limit of 1 MiB of a file gitcanary reads; not read',
    });
    expect(parseGeneratedFile(canary, `${rendered}\nbroken: [\n`)).toMatchObject({
      ok: false,
      line: expect.any(Number) as number,
      message: expect.stringMatching(/^invalid YAML: /) as string,
    });
  });

  it('refuses a __proto__ key in any document, with its field', () => {
    const polluted = rendered.replace('spec:\n', 'spec:\n  __proto__:\n    polluted: true\n');

    expect(parseGeneratedFile(canary, polluted)).toMatchObject({
      ok: false,
      field: 'spec.__proto__',
      message: `the key "__proto__" is refused: it names a JavaScript object's prototype`,
    });
  });
});

describe('parseOrphanedFile', () => {
  it('reads the owner of a file no Canary claims', () => {
    expect(parseOrphanedFile(rendered)?.owner).toMatchObject({ name: 'podinfo', namespace: 'test' });
    expect(parseOrphanedFile(rendered)?.owner.shard).toBeUndefined();
  });

  it('reads the shard of a labelled Canary back from its state document', () => {
    const sharded = new Rollout({ ...aCanary(), shard: 'east' }).reconcile(minutes(0)).content ?? '';
    expect(sharded).toContain('kind: CanaryState\nmetadata:\n  labels:\n    gitcanary.dev/shard: east\n');
    expect(parseOrphanedFile(sharded)?.owner).toMatchObject({ name: 'podinfo', shard: 'east' });
  });

  it.each([
    [
      'an object in another namespace',
      rendered.replace(
        '  name: podinfo-primary\n  namespace: test',
        '  name: podinfo-primary\n  namespace: kube-system',
      ),
    ],
    [
      'an owner whose name is a path',
      rendered.replace(
        '  name: podinfo\n  namespace: test\nspec:\n  canaryWeight',
        '  name: ../x\n  namespace: test\nspec:\n  canaryWeight',
      ),
    ],
    [
      'an alias bomb',
      rendered.replace(
        'spec:\n',
        `bomb:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
          { length: 9 },
          (_, i) =>
            `  b${i}: &b${i} [${Array(10)
              .fill(i === 0 ? '*a' : `*b${i - 1}`)
              .join(', ')}]`,
        ).join('\n')}\nspec:\n`,
      ),
    ],
  ])('owns nothing when it holds %s: nothing is deleted for it', (_, text) => {
    expect(text).not.toBe(rendered);
    expect(parseOrphanedFile(text)).toBeUndefined();
  });
});
