// Reads what a release left in git, as the audit trail a person would read, and counts what must never
// happen: a step committed twice for one revision, a person's commit lost, a history rewritten.
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const git = async (bareDir: string, ...args: string[]) =>
  (await run('git', ['--git-dir', bareDir, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;

export interface Commit {
  sha: string;
  author: string;
  subject: string;
  trailers: Record<string, string>;
}

/** The commits of main, oldest first, with their trailers. */
export async function readHistory(bareDir: string): Promise<Commit[]> {
  const out = await git(
    bareDir,
    'log',
    '--reverse',
    '--format=%H%x1f%an%x1f%s%x1f%(trailers:only,unfold)%x1e',
    'main',
  );
  return out
    .split('\x1e')
    .map((record) => record.trim())
    .filter(Boolean)
    .map((record) => {
      const [sha = '', author = '', subject = '', trailerText = ''] = record.split('\x1f');
      const trailers: Record<string, string> = {};
      for (const line of trailerText.split('\n')) {
        const colon = line.indexOf(': ');
        if (colon > 0) trailers[line.slice(0, colon)] = line.slice(colon + 2);
      }
      return { sha, author, subject, trailers };
    });
}

/**
 * Steps committed twice: within a run of gitcanary commits for one revision (a new revision starts a new
 * run), the same phase and weight twice. A plain re-render (`generated objects updated`) or a stall is not
 * a step.
 */
export function doubleSteps(history: Commit[]): string[] {
  const doubles: string[] = [];
  let revision: string | undefined;
  let seen = new Set<string>();
  for (const commit of history) {
    const { trailers } = commit;
    if (commit.author !== 'gitcanary' || !trailers['Canary-Revision']) continue;
    // Neither a re-render nor a stall (the cluster refused the step's objects, said once) is a step.
    if (commit.subject.endsWith('generated objects updated') || commit.subject.includes(': stalled, '))
      continue;
    if (trailers['Canary-Revision'] !== revision) {
      revision = trailers['Canary-Revision'];
      seen = new Set();
    }
    const key = `${trailers.Canary}/${trailers['Canary-Phase']}/${trailers['Canary-Weight']}`;
    if (seen.has(key)) doubles.push(`${commit.sha.slice(0, 8)} ${commit.subject} (${key} of ${revision})`);
    seen.add(key);
  }
  return doubles;
}

/** Steps (gitcanary commits other than re-renders). */
export function steps(history: Commit[]): Commit[] {
  return history.filter(
    (c) =>
      c.author === 'gitcanary' &&
      c.trailers['Canary-Phase'] &&
      !c.subject.endsWith('generated objects updated') &&
      !c.subject.includes(': stalled, '),
  );
}

/** Subjects of `expected` that are not on main. */
export function missingSubjects(history: Commit[], expected: string[]): string[] {
  const subjects = new Set(history.map((c) => c.subject));
  return expected.filter((subject) => !subjects.has(subject));
}

const zero = '0'.repeat(40);

/**
 * Non-fast-forward updates of main: `attempted` as the pre-receive hook saw them (a client asking to move
 * the branch to a commit that does not descend from the one it names), `accepted` from the reflog.
 */
export async function forcePushes(
  bareDir: string,
): Promise<{ pushes: number; attempted: number; accepted: number }> {
  const attempts = (await readFile(join(bareDir, 'attempts.log'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean);
  const reflog = (await readFile(join(bareDir, 'logs', 'refs', 'heads', 'main'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ').slice(0, 2) as [string, string]);
  let accepted = 0;
  for (const [old, next] of reflog) {
    if (old === zero) continue;
    try {
      await git(bareDir, 'merge-base', '--is-ancestor', old, next);
    } catch {
      accepted += 1;
    }
  }
  return {
    pushes: attempts.length,
    attempted: attempts.filter((line) => line.startsWith('nonff ')).length,
    accepted,
  };
}

/** Installs the hook and the reflog that forcePushes reads into a bare repository. */
export async function auditPushes(bareDir: string): Promise<void> {
  await git(bareDir, 'config', 'core.logAllRefUpdates', 'always');
  const hook = join(bareDir, 'hooks', 'pre-receive');
  await writeFile(
    hook,
    `#!/bin/sh
# Logs every ref update a client asks for, and whether it is a fast-forward of the commit it names.
while read old new ref; do
  kind=ff
  if [ "$old" != "${zero}" ] && [ "$new" != "${zero}" ]; then
    git merge-base --is-ancestor "$old" "$new"
    case $? in 0) kind=ff ;; 1) kind=nonff ;; *) kind=unknown ;; esac
  fi
  echo "$kind $old $new $ref" >> "$GIT_DIR/attempts.log"
done
exit 0
`,
  );
  await chmod(hook, 0o755);
}
