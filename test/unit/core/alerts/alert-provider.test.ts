import { describe, expect, it } from 'vitest';
import { parseManifestFile } from '../../../../src/core/manifests/parse-file.js';
import { assembleRepository } from '../../../../src/core/manifests/assemble.js';
import { formatManifestError } from '../../../../src/core/manifests/manifest-error.js';

const service = `apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: demo }
spec: { selector: { app: podinfo }, ports: [{ port: 9898 }] }
`;

function canary(alerts: string): string {
  return `apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: demo }
spec:
  targetRef: { apiVersion: v1, kind: Service, name: podinfo }
  service: { port: 9898 }
  analysis:
    interval: 1m
    iterations: 2
    alerts:
${alerts}`;
}

function provider(name: string, spec: string, apiVersion = 'flagger.app/v1beta1'): string {
  return `apiVersion: ${apiVersion}
kind: AlertProvider
metadata: { name: ${name}, namespace: demo }
spec:
${spec}`;
}

function assemble(...docs: string[]) {
  const parsed = parseManifestFile('apps/podinfo.yaml', docs.join('---\n'), { defaultNamespace: 'default' });
  const assembled = assembleRepository([parsed]);
  return { ...assembled, messages: assembled.errors.map(formatManifestError) };
}

describe('AlertProvider and analysis.alerts', () => {
  it('joins each alert with its provider, in either apiVersion, with Flagger defaults', () => {
    const { canaries, messages } = assemble(
      service,
      canary(`      - { name: on-call, severity: error, providerRef: { name: chat } }
      - { name: all, providerRef: { name: hook, namespace: demo } }
`),
      provider('chat', '  type: slack\n  channel: releases\n  secretRef: { name: slack-url }\n'),
      provider(
        'hook',
        '  type: generic\n  address: https://hooks.internal.example/gitcanary\n',
        'gitcanary.dev/v1alpha1',
      ),
    );

    expect(messages).toEqual([]);
    expect(canaries[0]?.alerts).toEqual([
      {
        alert: {
          name: 'on-call',
          field: 'spec.analysis.alerts[0]',
          severity: 'error',
          providerRef: { name: 'chat', namespace: 'demo' },
        },
        provider: {
          namespace: 'demo',
          name: 'chat',
          type: 'slack',
          channel: 'releases',
          username: 'gitcanary',
          secretRef: { name: 'slack-url' },
        },
      },
      {
        alert: {
          name: 'all',
          field: 'spec.analysis.alerts[1]',
          severity: 'info',
          providerRef: { name: 'hook', namespace: 'demo' },
        },
        provider: {
          namespace: 'demo',
          name: 'hook',
          type: 'generic',
          channel: 'general',
          username: 'gitcanary',
          address: 'https://hooks.internal.example/gitcanary',
        },
      },
    ]);
  });

  it.each([
    ['slack', 'https://hooks.slack.com/services/T0/B0/secret'],
    ['discord', 'https://discord.com/api/webhooks/1/token'],
    ['msteams', 'https://example.webhook.office.com/webhookb2/x'],
    ['rocket', 'https://chat.example.com/hooks/id/token'],
    ['gchat', 'https://chat.googleapis.com/v1/spaces/X/messages?key=k&token=t'],
    ['generic', 'https://hooks.example.com/x?token=t'],
    ['generic', 'https://user:pass@hooks.example.com/x'],
  ])('refuses a %s address written in git, which is a credential', (type, address) => {
    const { messages, canaries } = assemble(
      service,
      canary('      - { name: a, providerRef: { name: p } }\n'),
      provider('p', `  type: ${type}\n  address: "${address}"\n`),
    );

    expect(messages).toEqual([
      'apps/podinfo.yaml#2: spec.analysis.alerts[0].providerRef: AlertProvider demo/p is not defined in the repository (Canary demo/podinfo)',
      expect.stringMatching(
        /^apps\/podinfo\.yaml:\d+: spec\.address: .*(is a credential|carries a credential).*secretRef/,
      ),
    ]);
    expect(messages.join('\n')).not.toContain(address);
    // The release itself is not held back by its alerts.
    expect(canaries.map((c) => c.canary.name)).toEqual(['podinfo']);
    expect(canaries[0]?.alerts).toBeUndefined();
  });

  it('reports bad entries and a provider without an address, and keeps the Canary', () => {
    const { messages, canaries } = assemble(
      service,
      canary(`      - { name: a, severity: loud, providerRef: { name: p } }
      - { name: b }
`),
      provider('p', '  type: pager\n'),
      provider('q', '  type: slack\n'),
    );

    expect(messages).toEqual([
      'apps/podinfo.yaml#2: spec.analysis.alerts[0].severity: must be one of info, warn, error (Canary demo/podinfo)',
      'apps/podinfo.yaml#2: spec.analysis.alerts[1].providerRef: required (Canary demo/podinfo)',
      'apps/podinfo.yaml:23: spec.type: must be one of slack, msteams, discord, rocket, gchat, generic',
      'apps/podinfo.yaml:28: spec.secretRef: required: the address comes from a Secret (key "address")',
    ]);
    expect(canaries).toHaveLength(1);
  });
});
