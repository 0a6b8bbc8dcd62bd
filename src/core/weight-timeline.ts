// A compact weight timeline of a Canary's latest run, read from the trailers of its commits:
// `0 → 10 → 20 ✗ → 20 → 30 → 0 Succeeded`. A check failure marks the weight it happened at.

export interface TimelineCommit {
  message: string;
}

interface Step {
  subject: string;
  phase: string;
  weight: number;
}

function parse(message: string, canary: string): Step | undefined {
  const trailer = (key: string) => new RegExp(`^${key}: (.+)$`, 'm').exec(message)?.[1]?.trim();
  if (trailer('Canary') !== canary) return undefined;
  const phase = trailer('Canary-Phase');
  const weight = Number(trailer('Canary-Weight'));
  if (!phase || !Number.isFinite(weight)) return undefined;
  return { subject: message.split('\n')[0] ?? '', phase, weight };
}

/** `commits` newest first; undefined when the history holds no run of this Canary. */
export function weightTimeline(commits: readonly TimelineCommit[], canary: string): string | undefined {
  const steps: Step[] = [];
  for (const commit of commits) {
    const step = parse(commit.message, canary);
    if (!step) continue;
    steps.push(step);
    if (step.subject.includes(': new revision ')) break;
  }
  if (steps.length === 0) return undefined;
  steps.reverse();
  const parts: string[] = [];
  let last: number | undefined;
  for (const step of steps) {
    const failed = step.subject.includes(': check failed ');
    if (step.weight !== last) parts.push(String(step.weight));
    if (failed) parts[parts.length - 1] = `${parts.at(-1) ?? step.weight} ✗`;
    last = step.weight;
  }
  const end = steps.at(-1)?.phase;
  return `${parts.join(' → ')}${end === 'Progressing' ? '' : ` ${end}`}`;
}
