import { EventLoopTurns } from '../runtime/event-loop-turns.js';

/**
 * `fn` over `items`, at most `limit` at a time; the results in the order of `items`. The workers share one
 * turn of the event loop, so that together they never hold it longer than a slice.
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const turns = new EventLoopTurns();
  const worker = async () => {
    for (;;) {
      while (turns.spent()) await turns.next();
      if (next >= items.length) return;
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
