// Inputs of the analysis integration tests, built the way the reconciler builds them (YAML parsed and
// assembled), and a local HTTP server on loopback whose answers a test decides.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { assembleRepository, type ResolvedCanary } from '../../../src/core/manifests/assemble.js';
import { formatManifestError } from '../../../src/core/manifests/manifest-error.js';
import { parseManifestFile } from '../../../src/core/manifests/parse-file.js';

export function serviceYaml(namespace: string, app = 'podinfo-green'): string {
  return `apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: ${namespace} }
spec:
  selector: { app: ${app} }
  ports: [{ name: http, port: 9898 }]
`;
}

/** A Canary whose `analysis.metrics` / `webhooks` are the given YAML lists (indented by the caller). */
export function canaryYaml(namespace: string, lists: { metrics?: string; webhooks?: string }): string {
  return `apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata: { name: podinfo, namespace: ${namespace} }
spec:
  targetRef: { apiVersion: v1, kind: Service, name: podinfo }
  provider: kubernetes
  service: { port: 9898 }
  analysis:
    interval: 1m
    iterations: 3
${lists.metrics ? `    metrics:\n${lists.metrics}` : ''}${lists.webhooks ? `    webhooks:\n${lists.webhooks}` : ''}`;
}

/** Parses and assembles the files; any manifest error fails the test with its message. */
export function resolveCanary(files: Record<string, string>): ResolvedCanary {
  const assembled = assembleRepository(
    Object.entries(files).map(([path, text]) =>
      parseManifestFile(path, text, { defaultNamespace: 'default' }),
    ),
  );
  if (assembled.errors.length > 0) throw new Error(assembled.errors.map(formatManifestError).join('\n'));
  const [resolved] = assembled.canaries;
  if (!resolved) throw new Error('no Canary in the files');
  return resolved;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1; `respond` may leave a request unanswered to simulate a hung peer. */
export async function startReceiver(
  respond: (request: ReceivedRequest, response: ServerResponse) => void | Promise<void>,
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      Promise.resolve(respond(request, res)).catch((err: unknown) => res.writeHead(500).end(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('receiver has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
