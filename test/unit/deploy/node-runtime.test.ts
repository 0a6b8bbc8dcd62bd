import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// deploy/node-runtime.json is what the memory benchmark runs the reconciler with; the image must run the same.
const runtime = JSON.parse(readFileSync('deploy/node-runtime.json', 'utf8')) as {
  nodeFlags: string[];
  env: Record<string, string>;
};
const dockerfile = readFileSync('Dockerfile', 'utf8');

describe("the image's node runtime", () => {
  it('runs node with the flags the memory benchmark measured, before the script', () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]';
    const argv = JSON.parse(entrypoint) as string[];

    const node = argv.indexOf('node');
    expect(argv.slice(node + 1, node + 1 + runtime.nodeFlags.length)).toEqual(runtime.nodeFlags);
    expect(argv[node + 1 + runtime.nodeFlags.length]).toBe('dist/bundle/gitcanary.mjs');
  });

  it.each(Object.entries(runtime.env))('sets %s=%s in its environment', (name, value) => {
    expect(dockerfile).toMatch(new RegExp(`^\\s*(ENV )?${name}=${value}( \\\\)?$`, 'm'));
  });
});
