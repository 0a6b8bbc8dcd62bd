// How the image runs node (deploy/node-runtime.json, which the Dockerfile repeats): the benchmark's own
// processes (the memory row, the no-op poll, the shards) run gitcanary as shipped.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NodeRuntime {
  nodeFlags: string[];
  env: Record<string, string>;
}

const root = fileURLToPath(new URL('..', import.meta.url));
export const runtime = JSON.parse(
  await readFile(join(root, 'deploy', 'node-runtime.json'), 'utf8'),
) as NodeRuntime;
