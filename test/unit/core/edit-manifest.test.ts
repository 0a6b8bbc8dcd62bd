import { describe, expect, it } from 'vitest';
import { load, loadAll } from 'js-yaml';
import { ManifestEditError, replaceSpec, setAnnotation } from '../../../src/core/edit-manifest.js';

const file = `# The podinfo release. Reviewed by the web team.
apiVersion: v1
kind: Service
metadata:
  name: podinfo # the target
spec:
  selector:
    app: podinfo-green
---
# How to release it
apiVersion: gitcanary.dev/v1alpha1
kind: Canary
metadata:
  name: podinfo
  annotations:
    team: web
spec:
  analysis: { interval: 1m } # flow style stays
`;

describe('setAnnotation', () => {
  it('adds an annotation to one document and leaves the rest byte for byte', () => {
    const edited = setAnnotation(file, 1, 'gitcanary.dev/approve', '3f1c0a9e42b7');

    expect(edited.split('---')[0]).toBe(file.split('---')[0]);
    expect(edited).toContain('# How to release it');
    expect(edited).toContain('# flow style stays');
    const canary = loadAll(edited)[1] as { metadata: { annotations: Record<string, string> } };
    expect(canary.metadata.annotations).toEqual({ team: 'web', 'gitcanary.dev/approve': '3f1c0a9e42b7' });
  });

  it('creates the annotations map when there is none, and removes it again when emptied', () => {
    const added = setAnnotation(file, 0, 'gitcanary.dev/paused', 'true');
    const removed = setAnnotation(added, 0, 'gitcanary.dev/paused', undefined);

    expect((loadAll(added)[0] as { metadata: { annotations?: object } }).metadata.annotations).toEqual({
      'gitcanary.dev/paused': 'true',
    });
    expect(removed).toBe(file);
  });

  it('refuses a document that does not exist', () => {
    expect(() => setAnnotation(file, 5, 'a', 'b')).toThrow(ManifestEditError);
  });
});

describe('replaceSpec', () => {
  it('replaces the spec of a Service and keeps its comments', () => {
    const edited = replaceSpec(file, 0, { selector: { app: 'podinfo-blue' } });

    expect(edited).toContain('# The podinfo release. Reviewed by the web team.');
    expect(edited).toContain('name: podinfo # the target');
    expect((load(edited.split('---')[0] ?? '') as { spec: unknown }).spec).toEqual({
      selector: { app: 'podinfo-blue' },
    });
    expect(edited.split('---')[1]).toBe(file.split('---')[1]);
  });
});
