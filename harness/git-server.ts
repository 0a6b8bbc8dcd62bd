// A real git server for the integration tests: `git http-backend` (the CGI that ships with git) behind a
// small Node HTTP server on loopback. Every request needs Basic auth, so clients exercise their auth path;
// an authenticated user may push.
import { spawn, execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes, timingSafeEqual } from 'node:crypto';

const execFileAsync = promisify(execFile);

/** Plain data, so it crosses from global setup to the test workers. */
export interface GitServerAccess {
  /** Base URL; a repository `name` is at `${url}/${name}.git`. */
  url: string;
  username: string;
  password: string;
  /** The directory of bare repositories the server serves. */
  root: string;
}

export interface GitServer extends GitServerAccess {
  stop(): Promise<void>;
}

export async function startGitServer(): Promise<GitServer> {
  const root = await mkdtemp(join(tmpdir(), 'gitcanary-git-server-'));
  const username = 'gitcanary-test';
  const password = randomBytes(16).toString('hex');
  const expected = Buffer.from(`Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);

  const server = createServer((req, res) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res
        .writeHead(401, { 'WWW-Authenticate': 'Basic realm="gitcanary-test"' })
        .end('authentication required\n');
      return;
    }
    serveWithHttpBackend(root, username, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('git server has no address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    username,
    password,
    root,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Creates an empty bare repository `name` on the server; refuses non-fast-forward pushes like a hosted forge. */
export async function createBareRepository(access: GitServerAccess, name: string): Promise<string> {
  const dir = join(access.root, `${name}.git`);
  await execFileAsync('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  await execFileAsync('git', ['-C', dir, 'config', 'receive.denyNonFastForwards', 'true']);
  return `${access.url}/${name}.git`;
}

function serveWithHttpBackend(root: string, user: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  const gitProtocol = req.headers['git-protocol'];
  if (typeof gitProtocol === 'string') env.GIT_PROTOCOL = gitProtocol;

  const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  cgi.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  cgi.on('error', (err) => {
    if (!res.headersSent) res.writeHead(500).end(`git http-backend: ${err.message}\n`);
  });
  req.pipe(cgi.stdin);

  // A CGI answers with header lines, a blank line, then the body.
  let head = Buffer.alloc(0);
  let headerDone = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headerDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = findHeaderEnd(head);
    if (!end) return;
    headerDone = true;
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of head.subarray(0, end.index).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end.index + end.length));
  });
  cgi.stdout.on('end', () => {
    if (!headerDone) res.writeHead(502).write(`git http-backend gave no response: ${stderr}`);
    res.end();
  });
  // What the server refused, and why, in the log of whoever runs it (a test, the benchmark).
  cgi.on('close', (code) => {
    if (code !== 0 || stderr.trim() !== '') {
      const length = req.headers['content-length'] ?? 'no length';
      process.stderr.write(
        `git http-backend ${req.method} ${url.pathname} (${length}): exit ${code}: ${stderr}\n`,
      );
    }
  });
}

function findHeaderEnd(buffer: Buffer): { index: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}
