// Process entry of the `gitcanary` binary: runs the program and turns an error into a one-line message
// and an exit code (2 for a configuration error, the command line's or the repository's: an unusable URL, a
// branch that does not exist; 1 for anything else), never a stack trace for a user.
import { GitConfigError } from '../git/errors.js';
import { buildProgram } from './program.js';
import { ConfigError } from './reconciler-config.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`gitcanary: ${message}\n`);
  if (process.env.GITCANARY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = err instanceof ConfigError || err instanceof GitConfigError ? 2 : 1;
}
