import { describe, expect, it } from 'vitest';
import { conflictManagers } from '../../../src/kube/cluster.js';

describe('conflictManagers', () => {
  it('names every manager of an apply conflict once, from the Status causes', () => {
    const body = {
      kind: 'Status',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kustomize-controller" using v1',
            field: '.spec.selector.app',
          },
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kustomize-controller" using v1',
            field: '.spec.ports',
          },
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-edit" with subresource "": x',
            field: '.metadata.labels.a',
          },
        ],
      },
    };

    expect(conflictManagers({ body })).toEqual(['kubectl-edit', 'kustomize-controller']);
    expect(conflictManagers({ body: JSON.stringify(body) })).toEqual([
      'kubectl-edit',
      'kustomize-controller',
    ]);
  });

  it('is empty for an error without causes', () => {
    expect(conflictManagers(new Error('boom'))).toEqual([]);
    expect(conflictManagers(undefined)).toEqual([]);
  });
});
