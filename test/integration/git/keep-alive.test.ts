// A pooled connection the server closed while our event loop was busy (a pass writing a hundred commits)
// must not carry the next request: the idle timer that would have dropped it could not fire.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import nodeHttp from 'isomorphic-git/http/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitHttpClient } from '../../../src/git/http-client.js';

// A server in a process of its own, so that it closes idle connections while this one is blocked.
const serverSource = `
const http = require('node:http');
let connections = 0;
const server = http.createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => res.end(bytes + ' bytes, connection ' + connections));
});
server.on('connection', () => (connections += 1));
server.keepAliveTimeout = 2000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

async function text(body: AsyncIterableIterator<Uint8Array> | undefined): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body ?? []) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe('a pooled git connection', () => {
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    server = spawn(process.execPath, ['-e', serverSource], { stdio: ['pipe', 'pipe', 'inherit'] });
    if (!server.stdout) throw new Error('unreachable: stdout is piped');
    const [port] = (await once(createInterface({ input: server.stdout }), 'line')) as [string];
    url = `http://127.0.0.1:${port}/repo.git/git-receive-pack`;
  });
  afterAll(() => {
    server.stdin?.end();
  });

  it('is not reused once idle past its limit, even when the event loop was too busy for its timer', async () => {
    const client = gitHttpClient(nodeHttp, { timeoutMs: 5_000, idleSocketMs: 1_500 });
    const first = await client.request({ url, method: 'GET', headers: {} });
    expect(await text(first.body)).toBe('0 bytes, connection 1');
    // The connection goes back to the pool, with its 1.5 s idle timer.
    await sleep(20);

    // Busy past the server's keep-alive (2 s, and the second Node gives beyond it; a shorter one tells clients
    // not to keep the connection at all), which closes the connection meanwhile; the idle timer cannot fire.
    const until = performance.now() + 4_000;
    while (performance.now() < until);
    const body = Buffer.alloc(1 << 20, 1);
    const second = await client.request({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/x-git-receive-pack-request' },
      body: [body] as unknown as AsyncIterableIterator<Uint8Array>,
    });

    expect(second.statusCode).toBe(200);
    expect(await text(second.body)).toBe(`${body.length} bytes, connection 2`);
  });
});
