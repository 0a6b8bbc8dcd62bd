// What a reconcile would do now, without doing it: the commit, the file changes and the cluster patches.
import { liveDiffs } from './live-diff.js';
import type { Pass, ReconcileContext } from './context.js';
import type { CanaryPreview, FilePreview } from './outcomes.js';

export async function previewPass(
  ctx: ReconcileContext,
  pass: Pass,
  oids: ReadonlyMap<string, string>,
): Promise<CanaryPreview[]> {
  const canaries: CanaryPreview[] = [];
  for (const plan of pass.plans) {
    const files: FilePreview[] = [];
    for (const change of plan.content === undefined
      ? []
      : [{ path: plan.path, content: plan.content }, ...plan.otherChanges]) {
      const oid = oids.get(change.path);
      files.push({
        path: change.path,
        before: oid ? await ctx.loader.text(oid) : '',
        after: change.content,
      });
    }
    canaries.push({
      canary: plan.canary,
      ...(plan.commitMessage ? { commitMessage: plan.commitMessage } : {}),
      files,
      cluster: ctx.options.applies
        ? liveDiffs(plan.desired, pass.live.get(plan.canary) ?? {}).filter(
            (diff) => diff.action !== 'unchanged',
          )
        : [],
    });
  }
  return canaries;
}
