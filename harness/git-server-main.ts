// The entry of git-server-process.ts's child: starts the git server, prints its access as one JSON line,
// and stops it (removing its repositories) when stdin closes or on SIGTERM.
import { startGitServer } from './git-server.js';

const server = await startGitServer();
const { url, username, password, root } = server;
process.stdout.write(`${JSON.stringify({ url, username, password, root })}\n`);
let stopping: Promise<void> | undefined;
const stop = () => (stopping ??= server.stop().then(() => process.exit(0)));
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
