// The child of peer-runner.ts: runs each command it is sent (one JSON line each) and answers with its
// output (one JSON line each). It exits when its stdin closes.
import { execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { PeerAnswer, PeerCommand } from './peer-runner.js';

const answer = (message: PeerAnswer) => process.stdout.write(`${JSON.stringify(message)}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, file, args, cwd, env } = JSON.parse(line) as PeerCommand;
  execFile(
    file,
    args,
    { cwd, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 },
    (error, stdout, stderr) => {
      answer(error ? { id, error: `${error.message}\n${stderr}` } : { id, stdout });
    },
  );
});
