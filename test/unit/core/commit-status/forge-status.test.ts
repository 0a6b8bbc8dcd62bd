import { describe, expect, it } from 'vitest';
import type { CommittedTransition } from '../../../../src/core/alerts/committed-transition.js';
import {
  defaultApiUrl,
  forgeStatusRequest,
  releaseStatus,
  repositoryPath,
} from '../../../../src/core/commit-status/forge-status.js';

const sha = 'a'.repeat(40);
const step: CommittedTransition = {
  oid: 'b'.repeat(40),
  canary: 'demo/podinfo',
  phase: 'Progressing',
  weight: 20,
  revision: '5b0e7c1d9a42',
  subject: 'podinfo: weight 10 → 20',
  timestamp: 0,
  kind: 'step',
  checks: [],
};

describe('releaseStatus', () => {
  it.each([
    ['step', 'pending', 'Progressing at weight 20%: weight 10 → 20'],
    ['promoted', 'success', 'promoted: weight 10 → 20'],
    ['rolled-back', 'failure', 'rolled back'],
  ] as const)('reads a %s as %s', (kind, state, description) => {
    expect(releaseStatus({ ...step, kind })).toEqual({
      state,
      description,
      context: 'gitcanary/demo/podinfo',
    });
  });

  it('says nothing of commits that are not release steps, and keeps descriptions to one short line', () => {
    expect(releaseStatus({ ...step, kind: 'initialized' })).toBeUndefined();
    expect(releaseStatus({ ...step, kind: 'updated' })).toBeUndefined();
    const long = releaseStatus({ ...step, subject: `podinfo: ${'x '.repeat(100)}\nsecond line` });
    expect(long?.description).toHaveLength(140);
    expect(long?.description).not.toContain('\n');
  });
});

describe('forgeStatusRequest', () => {
  const status = { state: 'pending' as const, description: 'd', context: 'gitcanary/demo/podinfo' };

  it('asks GitHub with a bearer token and its media type', () => {
    const request = forgeStatusRequest(
      'github',
      'https://api.github.com/',
      'team/deploy',
      sha,
      status,
      't',
      'https://x',
    );
    expect(request.url).toBe(`https://api.github.com/repos/team/deploy/statuses/${sha}`);
    expect(request.headers).toMatchObject({
      Authorization: 'Bearer t',
      Accept: 'application/vnd.github+json',
    });
    expect(JSON.parse(request.body)).toEqual({
      state: 'pending',
      target_url: 'https://x',
      description: 'd',
      context: status.context,
    });
  });

  it('asks GitLab by the encoded project path, with PRIVATE-TOKEN, running and failed, the context as name', () => {
    const running = forgeStatusRequest(
      'gitlab',
      'https://gitlab.example.com/api/v4',
      'a/b/deploy',
      sha,
      status,
      't',
    );
    const failed = forgeStatusRequest(
      'gitlab',
      'https://gitlab.example.com/api/v4',
      'a/b/deploy',
      sha,
      { ...status, state: 'failure' },
      't',
    );
    expect(running.url).toBe(`https://gitlab.example.com/api/v4/projects/a%2Fb%2Fdeploy/statuses/${sha}`);
    expect(running.headers).toMatchObject({ 'PRIVATE-TOKEN': 't' });
    expect(JSON.parse(running.body)).toEqual({ state: 'running', name: status.context, description: 'd' });
    expect(JSON.parse(failed.body)).toMatchObject({ state: 'failed' });
  });

  it('asks Gitea with a token header', () => {
    const request = forgeStatusRequest(
      'gitea',
      'https://gitea.example.com/api/v1',
      'team/deploy',
      sha,
      status,
      't',
    );
    expect(request.url).toBe(`https://gitea.example.com/api/v1/repos/team/deploy/statuses/${sha}`);
    expect(request.headers).toMatchObject({ Authorization: 'token t' });
  });

  it('finds the API root and the repository from the repository URL', () => {
    expect(defaultApiUrl('github', 'https://github.com/team/deploy.git')).toBe('https://api.github.com');
    expect(defaultApiUrl('github', 'https://ghe.example.com/team/deploy.git')).toBe(
      'https://ghe.example.com/api/v3',
    );
    expect(defaultApiUrl('gitlab', 'https://gitlab.example.com/a/b/deploy.git')).toBe(
      'https://gitlab.example.com/api/v4',
    );
    expect(defaultApiUrl('gitea', 'http://gitea.local:3000/team/deploy')).toBe(
      'http://gitea.local:3000/api/v1',
    );
    expect(repositoryPath('https://gitlab.example.com/a/b/deploy.git')).toBe('a/b/deploy');
  });
});
