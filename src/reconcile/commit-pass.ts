// The commit stage: each plan that writes git becomes one commit on top of the last, in plan order. Git
// is the truth, so this comes before any apply; the caller pushes the tip.
import type { CanaryPlan } from '../core/plan-rollout.js';
import type { FileChange } from '../git/write-commit.js';
import type { ReconcilerOptions } from './context.js';

export async function commitPlans(
  options: Pick<ReconcilerOptions, 'repo' | 'author' | 'clock'>,
  head: string,
  plans: readonly CanaryPlan[],
): Promise<{ commits: string[]; changes: FileChange[] }> {
  const commits: string[] = [];
  const all: FileChange[] = [];
  let parent = head;
  for (const plan of plans) {
    if ((plan.content === undefined && !plan.remove) || plan.commitMessage === undefined) continue;
    const changes = [
      { path: plan.path, content: plan.remove ? null : (plan.content ?? null) },
      ...plan.otherChanges,
    ];
    all.push(...changes);
    parent = await options.repo.commit({
      parent,
      changes,
      message: plan.commitMessage,
      author: options.author,
      timestamp: Math.floor(options.clock().getTime() / 1000),
    });
    commits.push(parent);
  }
  return { commits, changes: all };
}
