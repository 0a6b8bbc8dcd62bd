// A real Prometheus for the integration tests: Debian's binary, taken out of its package (the package
// itself would start a service on all interfaces), run from a temp dir on loopback. Test exporters
// register themselves through file-based service discovery.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isExecutable } from './is-executable.js';
import { cacheDir } from './component-versions.js';
import { freePort } from './free-port.js';
import type { Progress } from './go-modules.js';
import { startOwnedProcess, waitUntil } from './owned-process.js';

const execFileAsync = promisify(execFile);

/** Plain data, so it crosses from global setup to the test workers. */
export interface PrometheusAccess {
  url: string;
  /** Drop a `<name>.json` file-SD target list here and Prometheus scrapes it every second. */
  targetsDir: string;
}

export interface PrometheusServer extends PrometheusAccess {
  stop(): Promise<void>;
}

/** PROMETHEUS_BINARY wins; otherwise Debian's package is downloaded once and unpacked into the cache. */
export async function ensurePrometheusBinary(progress: Progress): Promise<string> {
  if (process.env.PROMETHEUS_BINARY) return process.env.PROMETHEUS_BINARY;
  const dir = join(cacheDir(), 'prometheus');
  const binary = join(dir, 'usr', 'bin', 'prometheus');
  if (await isExecutable(binary)) return binary;

  progress("downloading Debian's prometheus package (once; cached)");
  const work = await mkdtemp(join(tmpdir(), 'gitcanary-prometheus-deb-'));
  try {
    await aptGetDownload('prometheus', work);
    const deb = (await readdir(work)).find((name) => name.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download prometheus produced no .deb file');
    const unpacked = join(work, 'root');
    await execFileAsync('dpkg-deb', ['-x', join(work, deb), unpacked]);
    await mkdir(join(cacheDir()), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(unpacked, dir);
    progress(`unpacked ${deb} into ${dir}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return binary;
}

async function aptGetDownload(pkg: string, cwd: string): Promise<void> {
  try {
    await execFileAsync('apt-get', ['download', pkg], { cwd });
  } catch (first) {
    // A fresh machine may have no package lists yet; as root we can fetch them, as anyone else we say how.
    if (process.getuid?.() !== 0) {
      throw new Error(
        `apt-get download ${pkg} failed; run \`sudo apt-get update\` or set PROMETHEUS_BINARY`,
        {
          cause: first,
        },
      );
    }
    await execFileAsync('apt-get', ['update', '-qq']);
    await execFileAsync('apt-get', ['download', pkg], { cwd });
  }
}

export async function startPrometheus(binary: string): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'gitcanary-prometheus-'));
  const targetsDir = join(dir, 'targets');
  await mkdir(targetsDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: prometheus',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${port}']`,
      '  - job_name: exporter',
      '    file_sd_configs:',
      `      - files: ['${targetsDir}/*.json']`,
      '        refresh_interval: 1s',
      '',
    ].join('\n'),
  );
  const process = startOwnedProcess(
    'prometheus',
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    join(dir, 'prometheus.log'),
  );
  const stop = async () => {
    await process.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Ready is not enough: a query answers only once the first scrape has landed.
    await waitUntil(
      'Prometheus to scrape itself',
      async () => (await instantQuery(url, 'up{job="prometheus"}')).some((s) => s.value === 1),
      { timeoutMs: 60_000, intervalMs: 250, process },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, targetsDir, stop };
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** GET /api/v1/query; returns the vector's samples (an empty array when there is no data). */
export async function instantQuery(url: string, query: string): Promise<Sample[]> {
  const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query }).toString()}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success' || !body.data) throw new Error(`query ${query} failed: ${body.error}`);
  if (body.data.resultType !== 'vector') throw new Error(`query ${query} gave a ${body.data.resultType}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}
