import { describe, expect, it } from 'vitest';
import { listResource } from '../../../src/core/kustomization-resources.js';
import { minutes, Rollout } from './builders.js';

describe('listResource', () => {
  it('appends the entry to resources, keeping comments and layout', () => {
    const text = [
      '# the podinfo app',
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      '  - service.yaml # the target',
      '  - canary.yaml',
      '',
    ].join('\n');

    const result = listResource(text, 'podinfo.gitcanary.yaml');

    expect(result).toEqual({
      kind: 'edited',
      content: [
        '# the podinfo app',
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        '  - service.yaml # the target',
        '  - canary.yaml',
        '  - podinfo.gitcanary.yaml',
        '',
      ].join('\n'),
    });
  });

  it.each([
    ['as written', 'resources:\n  - podinfo.gitcanary.yaml\n'],
    ['with ./', 'resources:\n  - ./podinfo.gitcanary.yaml\n'],
  ])('leaves a file that lists it already (%s)', (_, text) => {
    expect(listResource(text, 'podinfo.gitcanary.yaml')).toEqual({ kind: 'listed' });
  });

  it('adds resources to a kustomization that has none', () => {
    const result = listResource('kind: Kustomization\n', 'podinfo.gitcanary.yaml');

    expect(result).toEqual({
      kind: 'edited',
      content: 'kind: Kustomization\nresources:\n  - podinfo.gitcanary.yaml\n',
    });
  });

  it.each([
    ['not YAML', 'resources: [a\n'],
    ['not a mapping', '- a.yaml\n'],
    ['resources that are no list', 'resources: a.yaml\n'],
  ])('leaves alone a file that is %s', (_, text) => {
    expect(listResource(text, 'podinfo.gitcanary.yaml')).toMatchObject({ kind: 'unreadable' });
  });
});

describe('planRollout with a kustomization beside the Canary', () => {
  const kustomization = {
    path: 'apps/podinfo/kustomization.yaml',
    content: 'resources:\n  - service.yaml\n  - canary.yaml\n',
  };

  it('lists the generated file in the commit that first writes it, and says so', () => {
    const rollout = new Rollout();

    const plan = rollout.reconcile(minutes(0), { kustomization });

    expect(plan.otherChanges).toEqual([
      {
        path: 'apps/podinfo/kustomization.yaml',
        content: 'resources:\n  - service.yaml\n  - canary.yaml\n  - podinfo.gitcanary.yaml\n',
      },
    ]);
    expect(plan.commitMessage).toContain(
      'podinfo.gitcanary.yaml is added to the resources of apps/podinfo/kustomization.yaml.',
    );
  });

  it('does not touch it again once the generated file exists', () => {
    const rollout = new Rollout();
    rollout.reconcile(minutes(0), { kustomization });

    const plan = rollout.reconcile(minutes(1), { kustomization });

    expect(plan.otherChanges).toEqual([]);
  });

  it('says in the commit what to do when it cannot edit the file', () => {
    const rollout = new Rollout();

    const plan = rollout.reconcile(minutes(0), {
      kustomization: { path: kustomization.path, content: 'resources: service.yaml\n' },
    });

    expect(plan.otherChanges).toEqual([]);
    expect(plan.commitMessage).toContain(
      'apps/podinfo/kustomization.yaml is not edited (`resources` is not a list): list podinfo.gitcanary.yaml in its resources.',
    );
  });
});
