// Bundles the CLI into one minified ES module, dist/bundle/gitcanary.mjs, which the container image runs.
// Why: V8 keeps the source text of every module it loads, and @kubernetes/client-node's generated sources
// are mostly documentation comments. Loaded as ~1,000 separate modules, gitcanary's idle heap is 38 MiB;
// bundled and minified, 18 MiB (docs/performance.md, Memory). The memory benchmark bundles its reconciler
// process with the same options, so it measures what the image runs.
import { build, type BuildOptions } from 'esbuild';

export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  // The CommonJS dependencies (pino, js-yaml, …) call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as gitcanaryRequire } from 'node:module'; const require = gitcanaryRequire(import.meta.url);",
  },
  logLevel: 'warning',
} satisfies BuildOptions;

export async function bundle(entryPoint: string, outfile: string): Promise<void> {
  await build({ ...bundleOptions, entryPoints: [entryPoint], outfile });
}

// Two levels below the package root, as dist/cli/program.js is: the CLI finds package.json at ../../.
if (import.meta.url === new URL(`file://${process.argv[1] ?? ''}`).href) {
  await bundle('src/cli/main.ts', 'dist/bundle/gitcanary.mjs');
}
