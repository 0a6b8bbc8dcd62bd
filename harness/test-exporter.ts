// A metrics exporter a test controls: prom-client metrics served on loopback and registered with the
// harness's Prometheus through file-based discovery. `start` returns once Prometheus has scraped it.
import { createServer } from 'node:http';
import { rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { instantQuery, type PrometheusAccess } from './prometheus.js';
import { waitUntil } from './owned-process.js';

export interface TestExporter {
  /** Registered as the `exporter` label on every series Prometheus scrapes from here. */
  id: string;
  registry: Registry;
  stop(): Promise<void>;
}

export async function startTestExporter(prometheus: PrometheusAccess): Promise<TestExporter> {
  const id = randomUUID().slice(0, 8);
  const registry = new Registry();
  const server = createServer((req, res) => {
    registry
      .metrics()
      .then((body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body))
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('exporter has no address');

  // Write then rename, so Prometheus never reads a half-written target file.
  const targetFile = join(prometheus.targetsDir, `${id}.json`);
  await writeFile(
    `${targetFile}.tmp`,
    JSON.stringify([{ targets: [`127.0.0.1:${address.port}`], labels: { exporter: id } }]),
  );
  await rename(`${targetFile}.tmp`, targetFile);

  const stop = async () => {
    await rm(targetFile, { force: true });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    await waitUntil(
      `Prometheus's first scrape of exporter ${id}`,
      async () => (await instantQuery(prometheus.url, `up{exporter="${id}"}`)).some((s) => s.value === 1),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { id, registry, stop };
}
