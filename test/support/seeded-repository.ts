// A new bare repository on the test git server whose `main` holds given files in one commit, written with
// one `git fast-import` (a clone, add, commit and push cost more than what the bad-input tests then run),
// and tree entries no git client makes committed on top (crafted-tree.ts).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { commitCraftedEntries, type CraftedEntry } from './crafted-tree.js';
import { createBareRepository, type GitServerAccess } from '../../harness/git-server.js';

const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

export async function seededRepository(
  server: GitServerAccess,
  prefix: string,
  files: Record<string, string | Buffer>,
  crafted: CraftedEntry[] = [],
): Promise<{ url: string; bareDir: string }> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
  const url = await createBareRepository(server, name);
  const bareDir = join(server.root, `${name}.git`);
  const message = 'good canary and bad input';
  const parts: Buffer[] = [
    Buffer.from(
      `commit refs/heads/main\ncommitter A Pusher <pusher@example.test> 1764583200 +0000\ndata ${message.length}\n${message}\n`,
    ),
  ];
  for (const [path, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    parts.push(Buffer.from(`M 100644 inline ${path}\ndata ${bytes.length}\n`), bytes, Buffer.from('\n'));
  }
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      'git',
      ['--git-dir', bareDir, 'fast-import', '--quiet'],
      { env: gitEnv, maxBuffer: 64 * 1024 * 1024 },
      (error) => (error ? reject(new Error('git fast-import failed', { cause: error })) : resolve()),
    );
    child.stdin?.end(Buffer.concat(parts));
  });
  if (crafted.length > 0) await commitCraftedEntries(bareDir, crafted);
  return { url, bareDir };
}
