// Process entry of the `gitcanary` binary: runs the program and turns an error into a one-line message
// and an exit code (exit-code.ts: 2 for every configuration error, the command line's, the config file's or
// the repository's: an unusable URL, a branch that does not exist, credentials refused or unreadable; 1 for
// anything else), never a stack trace for a user.
import { CommanderError } from 'commander';
import { exitCodeOf, throwInsteadOfExit } from './exit-code.js';
import { buildProgram } from './program.js';

try {
  await throwInsteadOfExit(buildProgram()).parseAsync(process.argv);
} catch (err) {
  // Commander has printed its own message (and the help, after a usage error).
  if (!(err instanceof CommanderError)) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`gitcanary: ${message}\n`);
    if (process.env.GITCANARY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
  process.exitCode = exitCodeOf(err);
}
