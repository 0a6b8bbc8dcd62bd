// `gitcanary render <path>`: the offline preview of a checkout. For each Canary it prints every object
// gitcanary would generate (the state document, `<target>-primary`, `<target>-canary` and the route) at one
// step of a release, as multi-document YAML or as a Kubernetes List in JSON, so a pull request's CI can diff
// it or send it to `kubectl apply --dry-run=server`. Problems are reported on stderr exactly as `validate`
// reports them, with the same exit codes.
import { join, sep } from 'node:path';
import { Command, Option } from 'commander';
import { formatManifestError } from '../../core/manifests/manifest-error.js';
import { phases, type Phase } from '../../core/model.js';
import { renderStep, type RenderStep } from '../../core/render-step.js';
import { generatedDocuments } from '../../core/generated-file.js';
import { readCheckout } from '../read-checkout.js';
import { ConfigError, defaultProviderOption } from '../reconciler-config.js';

interface RenderFlags {
  defaultNamespace: string;
  defaultProvider: string;
  weight?: number;
  phase?: Phase;
  output: 'yaml' | 'json';
  strict?: boolean;
}

export function renderCommand(): Command {
  return new Command('render')
    .description('print every object gitcanary would generate for each Canary of a checkout, at one step')
    .argument('<path>', 'folder of the checkout to read')
    .option(
      '--default-namespace <ns>',
      'namespace of manifests that name none [GITCANARY_DEFAULT_NAMESPACE]',
      process.env.GITCANARY_DEFAULT_NAMESPACE ?? 'default',
    )
    .addOption(defaultProviderOption())
    .option('--weight <percent>', "the canary's weight (default: the first step of the release)", parseWeight)
    .addOption(
      new Option('--phase <phase>', 'phase of the state document (default Progressing)').choices(phases),
    )
    .option('--strict', 'fail (exit 1) on warnings too: fields that would do nothing')
    .addOption(
      new Option('-o, --output <format>', 'yaml or json (a Kubernetes List)')
        .choices(['yaml', 'json'])
        .default('yaml'),
    )
    .action(async (path: string, flags: RenderFlags) => {
      const { output, failed } = await renderCheckout(path, flags);
      process.stdout.write(output.stdout);
      process.stderr.write(output.stderr);
      process.exitCode = failed ? 1 : 0;
    });
}

export async function renderCheckout(
  root: string,
  flags: RenderFlags,
): Promise<{ output: { stdout: string; stderr: string }; failed: boolean }> {
  const checkout = await readCheckout(root, {
    defaultNamespace: flags.defaultNamespace,
    defaultProvider: flags.defaultProvider,
  });
  const step: RenderStep = {
    ...(flags.weight !== undefined ? { weight: flags.weight } : {}),
    ...(flags.phase ? { phase: flags.phase } : {}),
  };
  const rendered = checkout.canaries.map(({ resolved, generated }) => ({
    resolved,
    ...renderStep(resolved, generated?.file, step),
  }));
  const display = (file: string) => join(root, file).split(sep).join('/');
  const problems = [...checkout.errors, ...checkout.warnings].map(
    (e) => `${formatManifestError({ ...e, file: display(e.file) })}\n`,
  );
  let stdout: string;
  if (flags.output === 'json') {
    const items = rendered.flatMap(({ resolved, file }) => generatedDocuments(resolved.canary, file));
    stdout = `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2)}\n`;
  } else {
    stdout = rendered.map(({ content }) => content).join('---\n');
  }
  const failed = checkout.errors.length > 0 || (flags.strict === true && checkout.warnings.length > 0);
  return { output: { stdout, stderr: problems.join('') }, failed };
}

function parseWeight(value: string): number {
  const weight = Number(value);
  if (!Number.isInteger(weight) || weight < 0 || weight > 100)
    throw new ConfigError(`--weight: expected a whole percent from 0 to 100, got "${value}"`);
  return weight;
}
