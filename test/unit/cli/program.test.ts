import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';

function run(args: string[]): { stdout: string; exitCode: number | undefined } {
  let stdout = '';
  let exitCode: number | undefined;
  const program = buildProgram()
    .exitOverride((err) => {
      exitCode = err.exitCode;
      throw err;
    })
    .configureOutput({ writeOut: (s) => (stdout += s), writeErr: () => undefined });
  try {
    program.parse(args, { from: 'user' });
  } catch {
    // exitOverride turned the exit into a throw; exitCode holds it.
  }
  return { stdout, exitCode };
}

describe('gitcanary CLI', () => {
  it('prints the version from package.json', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

    const result = run(['--version']);

    expect(result.stdout.trim()).toBe(version);
    expect(result.exitCode).toBe(0);
  });

  it('fails with a non-zero exit on an unknown option', () => {
    const result = run(['--no-such-option']);

    expect(result.exitCode).toBe(1);
  });
});
