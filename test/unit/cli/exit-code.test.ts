import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, throwInsteadOfExit } from '../../../src/cli/exit-code.js';
import { buildProgram } from '../../../src/cli/program.js';
import { ConfigError } from '../../../src/cli/reconciler-config.js';
import { GitConfigError, GitTransientError } from '../../../src/git/errors.js';

/** What the binary would exit with for `args`, with commander's output swallowed. */
async function exitCodeFor(args: string[]): Promise<number> {
  const quiet = (command: Command): void => {
    command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    for (const sub of command.commands) quiet(sub);
  };
  const program = throwInsteadOfExit(buildProgram());
  quiet(program);
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    return exitCodeOf(err);
  }
}

describe('exitCodeOf', () => {
  it.each<[string, number, unknown]>([
    ['a bad flag value', 2, new ConfigError('--schedule: not a cron expression')],
    ['a repository that cannot be used', 2, new GitConfigError('git: branch nope does not exist')],
    ['a usage error of commander', 2, new CommanderError(1, 'commander.unknownOption', 'unknown option')],
    ['--help', 0, new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')],
    ['a git server that does not answer', 1, new GitTransientError('git: network error (ECONNREFUSED)')],
    ['anything else', 1, new Error('boom')],
  ])('%s: exit %i', (_, code, err) => {
    expect(exitCodeOf(err)).toBe(code);
  });
});

describe('the exit code of the program', () => {
  it.each<[string, number, string[]]>([
    ['an unknown option of a command', 2, ['reconcile', '--no-such-option']],
    ['an unknown option of the program', 2, ['--no-such-option']],
    ['an option without its value', 2, ['status', '--branch']],
    ['an invalid value', 2, ['status', '--timeline-depth', 'many']],
    [
      'an unreadable password file',
      2,
      ['status', '--repo', 'http://git.invalid/r.git', '--git-password-file', '/nonexistent/password'],
    ],
    ['--version', 0, ['--version']],
    ['--help of a command', 0, ['reconcile', '--help']],
  ])('%s: exit %i', async (_, code, args) => {
    expect(await exitCodeFor(args)).toBe(code);
  });
});
