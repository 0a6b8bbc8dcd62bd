// `gitcanary validate <path>`: lints a checkout in a pull request's CI with the reconciler's own parser,
// so what passes here is what the daemon will accept. Prints `file:line: field: message` per problem and
// `file:line: warning: field: message` per field that does nothing here, then one summary line; exit 1 on
// errors, and with --strict on warnings too.
import { join, sep } from 'node:path';
import { Command } from 'commander';
import { formatManifestError, type ManifestError } from '../../core/manifests/manifest-error.js';
import { readCheckout } from '../read-checkout.js';
import { ConfigError, defaultProviderOption } from '../reconciler-config.js';

interface ValidationReport {
  /** Manifest files read (generated files not counted). */
  files: number;
  /** `namespace/name` of every Canary that resolved to its target. */
  canaries: string[];
  /** As ManifestError (`document` 0-based), with `line` filled in where the field was found. */
  errors: ManifestError[];
  /** Fields that do nothing here (unknown, not applicable, not supported yet). */
  warnings: ManifestError[];
}

interface ValidateOptions {
  defaultNamespace: string;
  defaultProvider?: string;
}

export function validateCommand(): Command {
  return new Command('validate')
    .description('check the Services and Canaries of a repository checkout, e.g. in pull-request CI')
    .argument('<path>', 'folder of the checkout to read (all of it is read, as the reconciler would)')
    .option(
      '--default-namespace <ns>',
      'namespace of manifests that name none [GITCANARY_DEFAULT_NAMESPACE]',
      process.env.GITCANARY_DEFAULT_NAMESPACE ?? 'default',
    )
    .addOption(defaultProviderOption())
    .option('--strict', 'fail (exit 1) on warnings too: fields that would do nothing')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(
      async (
        path: string,
        flags: { defaultNamespace: string; defaultProvider: string; output: string; strict?: boolean },
      ) => {
        if (flags.output !== 'text' && flags.output !== 'json')
          throw new ConfigError(`--output: expected text or json, got "${flags.output}"`);
        const report = await validateCheckout(path, flags);
        const display = (file: string) => join(path, file).split(sep).join('/');
        const shown = (list: ManifestError[]) => list.map((e) => ({ ...e, file: display(e.file) }));
        process.stdout.write(
          flags.output === 'json'
            ? `${JSON.stringify({ ...report, errors: shown(report.errors), warnings: shown(report.warnings) }, null, 2)}\n`
            : formatReport(report, display, flags.strict ?? false),
        );
        const failed = report.errors.length > 0 || (flags.strict === true && report.warnings.length > 0);
        process.exitCode = failed ? 1 : 0;
      },
    );
}

export async function validateCheckout(root: string, options: ValidateOptions): Promise<ValidationReport> {
  const checkout = await readCheckout(root, options);
  return {
    files: checkout.files,
    canaries: checkout.canaries.map(({ resolved: { canary } }) => `${canary.namespace}/${canary.name}`),
    errors: checkout.errors,
    warnings: checkout.warnings,
  };
}

export function formatReport(
  report: ValidationReport,
  display: (file: string) => string,
  strict = false,
): string {
  const lines = [...report.errors, ...report.warnings].map((error) =>
    formatManifestError({ ...error, file: display(error.file) }),
  );
  const canaries = `${report.canaries.length} ${report.canaries.length === 1 ? 'Canary' : 'Canaries'}`;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const errors = report.errors.length;
  const warnings = report.warnings.length;
  const warned = warnings > 0 ? `, ${count(warnings, 'warning')}${strict ? ' (--strict: failing)' : ''}` : '';
  lines.push(
    errors === 0
      ? `ok: ${report.files} manifest files, ${canaries}${warned}`
      : `${count(errors, 'error')} in ${report.files} manifest files (${canaries} valid)${warned}`,
  );
  return `${lines.join('\n')}\n`;
}
