// The plans of the last passes, reused while core/at-rest.ts says they hold, and the times at which time
// alone moves one of them, in order: a poll that finds nothing changed asks only the earliest.
//
// In apply mode a plan is reused only once an apply found the cluster already holding what it wants; it
// is then kept without its desired objects (the bulk of its memory): they are known to be in the cluster,
// and the change set names them. In commit-only mode nothing is applied, so it is reusable at once.
import { compactList, emptyList } from '../core/manifests/shared-empty.js';
import { inputsSeen, stillHolds, type InputsSeen, type PlanInputs, type Rest } from '../core/at-rest.js';
import type { CanaryPlan, PlanResult } from '../core/plan-rollout.js';
import { DueTimes } from './due-times.js';

interface Entry {
  seen: InputsSeen;
  rest: Rest;
  result: PlanResult;
  /** The cluster was found to hold the plan's objects (always true in commit-only mode, and for errors). */
  confirmed: boolean;
  /** `Kind/namespace/name` of the plan's objects, for the change set. */
  names?: string[];
}

export class PlanCache {
  private readonly entries = new Map<string, Entry>();
  private readonly due = new DueTimes();

  constructor(private readonly applies: boolean) {}

  /** The remembered result when it still holds at `now`; undefined means plan again. */
  reuse(key: string, inputs: PlanInputs, now: number): PlanResult | undefined {
    const entry = this.entries.get(key);
    if (!entry?.confirmed || !stillHolds(entry.seen, entry.rest.until, inputs, now)) return undefined;
    return entry.result;
  }

  /** Keeps `result` while it rests (`rest` from core's `restOf`); forgets the key's entry otherwise. */
  remember(key: string, inputs: PlanInputs, result: PlanResult, rest: Rest | undefined): boolean {
    this.forget(key);
    const seen = rest && inputsSeen(inputs);
    if (!rest || !seen) return false;
    const waitsForApply = this.applies && result.kind === 'plan';
    this.entries.set(key, {
      seen,
      rest,
      result: result.kind === 'plan' && !this.applies ? { ...result, desired: emptyList } : result,
      confirmed: !waitsForApply,
    });
    this.due.set(key, rest.until);
    return true;
  }

  /**
   * An apply found every object of the plan unchanged: from now on it may be reused. Returns the rest of
   * `plan` when it is the remembered one; undefined for a plan that was not kept, which nothing changes.
   */
  confirm(key: string, plan: CanaryPlan, names: string[]): Rest | undefined {
    const entry = this.entries.get(key);
    if (entry?.result !== plan) return undefined;
    entry.confirmed = true;
    entry.names = compactList(names);
    entry.result = { ...plan, desired: emptyList };
    return entry.rest;
  }

  /** The result kept for `key`: after `confirm`, the plan without its desired objects. */
  kept(key: string): PlanResult | undefined {
    return this.entries.get(key)?.result;
  }

  /** The names of a reused plan's objects, all unchanged; undefined when `plan` was made afresh. */
  unchangedNames(key: string, plan: CanaryPlan): string[] | undefined {
    const entry = this.entries.get(key);
    return entry?.result === plan && entry.confirmed ? entry.names : undefined;
  }

  /** The earliest time at which time alone moves a remembered plan (Infinity: none will). */
  nextDue(): number {
    return this.due.earliest();
  }

  /** The remembered plans whose hold has ended by `now`. */
  dueBy(now: number): string[] {
    return this.due.dueBy(now);
  }

  forget(key: string): void {
    this.entries.delete(key);
    this.due.delete(key);
  }

  /** Forgets Canaries that are no longer in the repository (or this shard). */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const key of this.entries.keys()) if (!keys.has(key)) this.forget(key);
  }
}
