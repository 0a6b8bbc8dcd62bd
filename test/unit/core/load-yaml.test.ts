import { describe, expect, it } from 'vitest';
import { countYamlNodes } from '../../../src/core/count-yaml-nodes.js';
import { fileLimits, loadYaml } from '../../../src/core/load-yaml.js';

/** A mapping of `count` keys, each an object of a type and a format: dense like an OpenAPI schema. */
const schemaLike = (count: number) =>
  `definitions:\n${Array.from({ length: count }, (_, i) => `  f${i}:\n    type: string\n    format: int-or-string\n`).join('')}`;

describe('countYamlNodes', () => {
  it.each([
    ['a scalar', 'a', 1],
    ['a mapping of two keys', 'a: 1\nb: two\n', 4],
    ['a flow sequence', '[1, "2", \'3\', *x]', 5],
    ['a flow mapping', '{a: 1, b: [2]}', 6],
    ['a block sequence with an empty entry', '- a\n-\n- c\n', 3],
    ['an empty value', 'a:\nb: 1\n', 3],
    ['nested block collections', 'a:\n  b:\n    - c\n', 4],
    ['a block scalar, however many words it holds', 'a: |\n  x: [1, 2, 3]\n  - y\nb: 1\n', 4],
    ['a comment', '# a: [1, 2, 3]\na: 1\n', 2],
    ['a quoted string of indicators', 'a: "[1, 2], {c: d}, - e"\n', 2],
    ['two documents', 'a: 1\n---\nb: 2\n', 4],
  ])('counts the nodes of %s', (_, text, nodes) => {
    expect(countYamlNodes(text, 100)).toEqual({ ok: true, nodes });
  });

  it('stops at the node past the budget, with its offset', () => {
    expect(countYamlNodes('a: [1, 2, 3, 4]\n', 4)).toEqual({ ok: false, offset: 10 });
  });

  it('counts a list of empty entries, which hold no character of their own', () => {
    expect(countYamlNodes('-\n'.repeat(10), 100)).toEqual({ ok: true, nodes: 10 });
  });
});

describe('loadYaml', () => {
  it('refuses a list of more than 100,000 items before parsing it, at the item past the limit', () => {
    const text = `kind: List\nitems: [${Array(fileLimits.maxNodes + 1)
      .fill('1')
      .join(',')}]\n`;

    const loaded = loadYaml(text);

    // The kind and items keys and values are 4 nodes: the 99,997th item is the 100,001st node.
    expect(loaded).toEqual({
      ok: false,
      problem: {
        line: 2,
        column: 9 + 99_996 * 2,
        message:
          'the file holds more than 100,000 YAML nodes, the limit of a file gitcanary reads; not parsed',
      },
    });
  });

  it('refuses a block list of empty entries the same way, at its line', () => {
    const loaded = loadYaml(`kind: List\nitems:\n${'-\n'.repeat(fileLimits.maxNodes)}`);

    expect(loaded).toMatchObject({ ok: false, problem: { line: 2 + fileLimits.maxNodes - 2 } });
  });

  it('reads a dense file of 1 MiB, as an OpenAPI schema is, and says how many nodes it holds', () => {
    const text = schemaLike(19_600);
    expect(text.length).toBeGreaterThan(1000 * 1024);
    expect(text.length).toBeLessThan(fileLimits.maxBytes);

    const loaded = loadYaml(text);

    expect(loaded).toMatchObject({ ok: true, nodes: 1 + 19_600 * 5 });
  });

  it('does not count what comments and block scalars hold', () => {
    const words = Array(fileLimits.maxNodes + 1)
      .fill('w')
      .join(' ');

    const loaded = loadYaml(`# ${words}\nnote: |\n  ${words}\n`);

    expect(loaded).toMatchObject({ ok: true, nodes: 2 });
  });
});
