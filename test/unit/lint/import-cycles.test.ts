// `npm run lint` ends with madge's cycle check over src: no module may import, even for a type, one that
// imports it back. This proves the check as configured in package.json sees an ESM `.js` import of a `.ts`
// file (a cycle it would miss otherwise), and that src has none.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const scratch: string[] = [];
afterEach(async () => {
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** The lint script's madge command, pointed at `dir`: its exit code and output. */
async function cycleCheck(dir: string): Promise<{ code: number; output: string }> {
  const scripts = (JSON.parse(await readFile('package.json', 'utf8')) as { scripts: { lint: string } })
    .scripts;
  const madge = scripts.lint.split(' && ').find((part) => part.startsWith('madge '));
  if (!madge) throw new Error('the lint script runs no madge cycle check');
  const args = madge.split(' ').slice(1, -1);
  try {
    const { stdout, stderr } = await run('npx', ['madge', ...args, dir]);
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('the import-cycle check of npm run lint', () => {
  it('fails on two modules that import each other by their .js names, types included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gitcanary-cycle-'));
    scratch.push(dir);
    await writeFile(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = (): number => b();\n");
    await writeFile(join(dir, 'b.ts'), "import type { A } from './c.js';\nexport const b = (): A => 1;\n");
    await writeFile(
      join(dir, 'c.ts'),
      "import { a } from './a.js';\nexport type A = number;\nexport const c = a;\n",
    );

    const { code, output } = await cycleCheck(dir);

    expect(code).toBe(1);
    expect(output).toContain('a.ts > b.ts > c.ts');
  }, 60_000);

  it('passes on src', async () => {
    const { code, output } = await cycleCheck('src');

    expect(output).toContain('No circular dependency found');
    expect(code).toBe(0);
  }, 60_000);
});
