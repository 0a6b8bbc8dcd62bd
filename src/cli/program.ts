// The `gitcanary` command line: builds the commander program. Commands are added here as they land;
// main.ts only runs it, so tests can drive the program without a process.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { gateCommands } from './commands/gates.js';
import { diffCommand, statusCommand } from './commands/inspect.js';
import { reconcileCommand } from './commands/reconcile.js';
import { renderCommand } from './commands/render.js';
import { runCommand } from './commands/run.js';
import { validateCommand } from './commands/validate.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('gitcanary')
    .description(
      'Progressive delivery for Kubernetes Services with git as the only source of truth: ' +
        'canary analysis whose every step, promotion and rollback is a commit.',
    )
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError()
    .addCommand(reconcileCommand())
    .addCommand(runCommand())
    .addCommand(validateCommand())
    .addCommand(renderCommand());
  for (const command of [statusCommand(), diffCommand(), ...gateCommands()]) program.addCommand(command);
  return program;
}
