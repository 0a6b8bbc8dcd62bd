// The timeline page as HTML, from plain data: a table of every Canary (phase, weight, revision, last checks)
// and an inline SVG chart of the weight over its latest runs, each point a link to its commit. No script:
// the page refreshes itself with a meta refresh, and every value is escaped.
import type { CheckResult, RolloutState } from '../core/model.js';
import type { WeightRun } from '../core/weight-runs.js';

export interface PageCanary {
  canary: string;
  state?: RolloutState;
  error?: string;
  runs: WeightRun[];
}

interface TimelineModel {
  /** The repository URL without credentials, and its branch. */
  repository: string;
  branch: string;
  head?: string;
  /** ISO time the page was made. */
  generatedAt: string;
  refreshSeconds: number;
  canaries: PageCanary[];
  commitUrl?: (oid: string) => string;
}

export function renderTimeline(model: TimelineModel): string {
  const rows = model.canaries.map((c) => row(c, model.commitUrl)).join('\n');
  const head = model.head ? link(model.head.slice(0, 12), model.commitUrl?.(model.head)) : 'not read yet';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${model.refreshSeconds}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gitcanary · ${escape(model.repository)}</title>
<style>${style}</style>
</head>
<body>
<header>
<h1>gitcanary</h1>
<p class="meta">${escape(model.repository)} · ${escape(model.branch)} at <span id="head">${head}</span> · updated <time datetime="${escape(model.generatedAt)}">${escape(model.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time> · refreshes every ${model.refreshSeconds} s</p>
</header>
<main>
${
  model.canaries.length === 0
    ? '<p class="empty">No Canary in the repository yet.</p>'
    : `<table>
<thead><tr><th>Canary</th><th>Phase</th><th>Weight</th><th>Revision</th><th>Promoted</th><th>Last step</th><th>Last checks</th><th>Weight over time</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
}
</main>
</body>
</html>
`;
}

function row(c: PageCanary, commitUrl: TimelineModel['commitUrl']): string {
  const s = c.state;
  const attributes = `data-canary="${escape(c.canary)}"${s ? ` data-phase="${s.phase}" data-weight="${s.canaryWeight}"` : ''}`;
  if (c.error || !s) {
    const message = c.error ? `<span class="error">${escape(c.error)}</span>` : 'not reconciled yet';
    return `<tr ${attributes}><th scope="row">${escape(c.canary)}</th><td colspan="7">${message}</td></tr>`;
  }
  return `<tr ${attributes}>
<th scope="row">${escape(c.canary)}</th>
<td class="state"><span class="phase ${phaseClass(s.phase)}">${s.phase}</span>${s.message ? `<br><small>${escape(s.message)}</small>` : ''}</td>
<td class="weight">${s.canaryWeight}%</td>
<td><code>${escape(s.revision)}</code></td>
<td><code>${escape(s.lastPromotedRevision)}</code></td>
<td><time datetime="${escape(s.lastStepTime)}">${escape(s.lastStepTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time></td>
<td>${checks(s.lastChecks)}</td>
<td>${chart(c.canary, c.runs, commitUrl)}</td>
</tr>`;
}

function checks(results: readonly CheckResult[]): string {
  if (results.length === 0) return '<span class="none">none</span>';
  return `<ul class="checks">${results
    .map((r) => {
      const range = [r.min !== undefined ? `min ${r.min}` : '', r.max !== undefined ? `max ${r.max}` : '']
        .filter(Boolean)
        .join(', ');
      const value = r.value === undefined ? 'no value' : String(Math.round(r.value * 1000) / 1000);
      return `<li class="${r.passed ? 'pass' : 'fail'}">${r.passed ? '✓' : '✗'} ${escape(r.name)} ${escape(value)}${range ? ` <small>(${escape(range)})</small>` : ''}${r.reason ? ` <small>${escape(r.reason)}</small>` : ''}</li>`;
    })
    .join('')}</ul>`;
}

const width = 360;
const height = 96;
const left = 30;
const right = 8;
const top = 8;
const bottom = 16;

/** Weight (0–100) over commit time, one step line per run, the latest in colour. */
function chart(canary: string, runs: readonly WeightRun[], commitUrl?: (oid: string) => string): string {
  const points = runs.flatMap((r) => r.points);
  if (points.length === 0) return '<span class="none">no run in the history read</span>';
  const first = Math.min(...points.map((p) => p.timestamp));
  const last = Math.max(...points.map((p) => p.timestamp));
  const span = Math.max(last - first, 1);
  const x = (t: number) => left + ((t - first) / span) * (width - left - right);
  const y = (w: number) => top + (1 - w / 100) * (height - top - bottom);
  const grid = [0, 50, 100]
    .map(
      (w) =>
        `<line class="grid" x1="${left}" x2="${width - right}" y1="${y(w)}" y2="${y(w)}"/><text class="axis" x="${left - 4}" y="${y(w) + 3}" text-anchor="end">${w}</text>`,
    )
    .join('');
  const lines = runs
    .map((run, index) => {
      const latest = index === runs.length - 1;
      let d = '';
      // A step line: the weight holds until the next commit changes it.
      run.points.forEach((p, i) => {
        d += i === 0 ? `M${x(p.timestamp)},${y(p.weight)}` : `H${x(p.timestamp)}V${y(p.weight)}`;
      });
      const dots = run.points
        .map((p) => {
          const kind = p.failed ? 'failed' : p.phase === 'Succeeded' ? 'promoted' : 'step';
          const time = new Date(p.timestamp * 1000).toISOString().replace('.000Z', 'Z');
          const dot = `<circle class="point ${kind}" data-weight="${p.weight}" data-commit="${p.oid}" cx="${x(p.timestamp)}" cy="${y(p.weight)}" r="${latest ? 4 : 3}"><title>${escape(p.subject)} · ${p.weight}% · ${time} · ${p.oid.slice(0, 12)}</title></circle>`;
          const url = commitUrl?.(p.oid);
          return url ? `<a href="${escape(url)}">${dot}</a>` : dot;
        })
        .join('');
      return `<g class="run${latest ? ' latest' : ''}" data-revision="${escape(run.revision)}"><path d="${d}"/>${dots}</g>`;
    })
    .join('');
  return `<svg class="chart" role="img" aria-label="weight of ${escape(canary)} over its latest runs" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${grid}${lines}<text class="axis" x="${left}" y="${height - 3}">${shortTime(first)}</text><text class="axis" x="${width - right}" y="${height - 3}" text-anchor="end">${shortTime(last)}</text></svg>`;
}

function shortTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(5, 16).replace('T', ' ');
}

function phaseClass(phase: string): string {
  if (phase === 'Succeeded' || phase === 'Initialized') return 'ok';
  if (phase === 'Failed') return 'failed';
  if (phase === 'Waiting' || phase === 'WaitingPromotion') return 'waiting';
  return 'moving';
}

function link(text: string, url: string | undefined): string {
  return url ? `<a href="${escape(url)}">${escape(text)}</a>` : `<code>${escape(text)}</code>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const style = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2937;background:#f8fafc}
header{padding:12px 20px;background:#0f172a;color:#e2e8f0}h1{margin:0;font-size:18px}
.meta{margin:4px 0 0;font-size:12px;color:#94a3b8}.meta a,.meta code{color:#e2e8f0}
main{padding:16px 20px}table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0001}
th,td{padding:8px 10px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
th[scope=row],time,code,.checks li{white-space:nowrap}td.state{min-width:14em;max-width:22em}
thead th{font-size:12px;text-transform:uppercase;color:#64748b;background:#f1f5f9}
.weight{font-variant-numeric:tabular-nums;font-weight:600}code{font-size:12px}
.phase{padding:1px 6px;border-radius:8px;font-size:12px;font-weight:600}
.ok{background:#dcfce7;color:#166534}.failed{background:#fee2e2;color:#991b1b}
.waiting{background:#fef3c7;color:#92400e}.moving{background:#dbeafe;color:#1e40af}
.checks{margin:0;padding:0;list-style:none;font-size:12px}.pass{color:#166534}.fail{color:#991b1b}
.none{color:#94a3b8;font-size:12px}.error{color:#991b1b}
.chart .grid{stroke:#e5e7eb}.chart .axis{font-size:9px;fill:#94a3b8}
.chart path{fill:none;stroke:#cbd5e1;stroke-width:1.5}.chart .latest path{stroke:#2563eb;stroke-width:2}
.chart .point{fill:#cbd5e1}.chart .latest .point{fill:#2563eb}
.chart .point.failed{fill:#dc2626}.chart .point.promoted{fill:#16a34a}
`;
