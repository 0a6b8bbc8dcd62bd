// The exit code of a command that threw: 2 for every configuration error (a flag, the config file, the
// repository's URL, branch or credentials, as GitConfigError says), 1 for anything else (an outage, a
// Canary in error), 0 for --help and --version. Commander's own usage errors count as configuration.
import { CommanderError, type Command } from 'commander';
import { GitConfigError } from '../git/errors.js';
import { ConfigError } from './reconciler-config.js';

export const exitCodes = { ok: 0, failed: 1, config: 2 } as const;

export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? exitCodes.ok : exitCodes.config;
  if (err instanceof ConfigError || err instanceof GitConfigError) return exitCodes.config;
  return exitCodes.failed;
}

/**
 * Makes commander throw its usage errors (and --help, --version) instead of exiting with its own code 1, in
 * the program and every command under it: commander's exitOverride is not inherited by addCommand.
 */
export function throwInsteadOfExit(command: Command): Command {
  command.exitOverride();
  for (const sub of command.commands) throwInsteadOfExit(sub);
  return command;
}
