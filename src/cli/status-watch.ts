// `gitcanary status --watch`: the status again every few seconds while a release runs. On a terminal the
// table is redrawn in place (the cursor moved back over the last drawing); anywhere else (a pipe, a CI
// log) one plain line is printed per Canary whose state changed, so the output reads as a log.
import type { RepositoryStatus } from '../reconcile/read-status.js';

interface WatchOutput {
  write(text: string): void;
  isTTY?: boolean;
}

interface WatchOptions {
  read: () => Promise<RepositoryStatus>;
  format: (status: RepositoryStatus) => string;
  output: WatchOutput;
  intervalMs: number;
  clock?: () => Date;
  /** Resolves when watching should stop (SIGINT, SIGTERM, or a test). */
  stop: Promise<unknown>;
}

/** One line per Canary whose phase, weight, revision, message or error changed since `seen`. */
function changedLines(status: RepositoryStatus, seen: Map<string, string>, at: Date): string[] {
  const lines: string[] = [];
  const time = at.toISOString().replace(/\.\d+Z$/, 'Z');
  for (const c of status.canaries) {
    const s = c.state;
    const line = c.error
      ? `${c.canary} Error ${c.error}`
      : s
        ? `${c.canary} ${s.phase} ${s.canaryWeight}% ${s.revision}${c.timeline ? ` ${c.timeline}` : ''}${s.message ? ` (${s.message})` : ''}`
        : `${c.canary} (not reconciled yet)`;
    if (seen.get(c.canary) === line) continue;
    seen.set(c.canary, line);
    lines.push(`${time} ${line}`);
  }
  for (const error of status.errors) {
    if (seen.get(`error:${error}`) !== undefined) continue;
    seen.set(`error:${error}`, error);
    lines.push(`${time} ERROR ${error}`);
  }
  return lines;
}

export async function watchStatus(options: WatchOptions): Promise<void> {
  const clock = options.clock ?? (() => new Date());
  const seen = new Map<string, string>();
  let drawn = 0;
  let stopped = false;
  void options.stop.then(() => (stopped = true));
  while (!stopped) {
    let text: string;
    try {
      const status = await options.read();
      const now = clock();
      if (options.output.isTTY) {
        const table = options.format(status);
        text = `${table}\nupdated ${now.toISOString().slice(11, 19)}Z · every ${options.intervalMs / 1000} s · Ctrl-C to stop\n`;
      } else {
        text = changedLines(status, seen, now)
          .map((line) => `${line}\n`)
          .join('');
      }
    } catch (err) {
      // A git server that does not answer for a moment is no reason to stop watching.
      text = `${clock().toISOString()} cannot read the repository: ${(err as Error).message}\n`;
    }
    if (options.output.isTTY) {
      // Back over the last drawing, clear it, draw again: the screen above is left alone.
      options.output.write(`${drawn > 0 ? `\x1b[${drawn}A\r\x1b[0J` : ''}${text}`);
      drawn = text.split('\n').length - 1;
    } else if (text) options.output.write(text);
    await Promise.race([new Promise((resolve) => setTimeout(resolve, options.intervalMs)), options.stop]);
  }
}
