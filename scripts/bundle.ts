// Bundles the CLI into one minified ES module, dist/bundle/gitcanary.mjs, which the container image runs.
// Why: V8 keeps the source text of every module it loads, and @kubernetes/client-node's generated sources
// are mostly documentation comments. Loaded as ~1,000 separate modules, gitcanary's idle heap is 38 MiB;
// bundled and minified, 18 MiB (docs/performance.md, Memory). The memory benchmark bundles its reconciler
// process with the same options, so it measures what the image runs.
import { readFile, writeFile } from 'node:fs/promises';
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
  const code = await readFile(outfile, 'utf8');
  const ascii = asciiOnly(code);
  if (ascii !== code) await writeFile(outfile, ascii);
}

/**
 * `code` with every character outside ASCII written as a `\uXXXX` escape (each UTF-16 unit of a pair alike).
 * V8 holds a script's source for its life, one byte a character if every character fits in Latin-1 and two
 * otherwise: esbuild's ASCII output escapes strings and templates but leaves regular expression literals as
 * written (evanw/esbuild#4205), and one library's `/[\ud800-\uffff]/` (U+FFFF raw in the bundle) made the
 * whole 2.1 MB source a two-byte string: 4.2 MiB of heap instead of 2.1. The escape means the same
 * character in a string, a template, a regular expression (with or without the `u` flag) and an
 * identifier; only a regular expression's `source` spells it differently.
 */
export function asciiOnly(code: string): string {
  return code.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Two levels below the package root, as dist/cli/program.js is: the CLI finds package.json at ../../.
if (import.meta.url === new URL(`file://${process.argv[1] ?? ''}`).href) {
  await bundle('src/cli/main.ts', 'dist/bundle/gitcanary.mjs');
}
