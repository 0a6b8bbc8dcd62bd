import { describe, expect, it } from 'vitest';
import { normalizedServiceSpec, portableServiceSpec } from '../../../src/core/service-spec.js';

const ports = [{ name: 'http', port: 9898 }];

describe('portableServiceSpec', () => {
  it.each([
    [
      'drops an assigned cluster IP',
      { clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], ports },
      { ports },
    ],
    ['keeps a headless target headless', { clusterIP: 'None', ports }, { clusterIP: 'None', ports }],
    [
      'keeps it headless when only clusterIPs says so',
      { clusterIPs: ['None'], ports },
      { clusterIP: 'None', ports },
    ],
    [
      'drops node ports and the health check node port',
      { type: 'NodePort', healthCheckNodePort: 30001, ports: [{ port: 80, nodePort: 30080 }] },
      { type: 'NodePort', ports: [{ port: 80 }] },
    ],
  ])('%s', (_, spec, portable) => {
    expect(portableServiceSpec(spec)).toEqual(portable);
  });
});

describe('normalizedServiceSpec', () => {
  it('reads a headless Service back from the server as equal to the one written', () => {
    const written = { clusterIP: 'None', selector: { app: 'podinfo' }, ports };
    const readBack = {
      ...written,
      clusterIPs: ['None'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      sessionAffinity: 'None',
      type: 'ClusterIP',
      ports: [{ name: 'http', port: 9898, protocol: 'TCP', targetPort: 9898 }],
    };

    expect(normalizedServiceSpec(readBack)).toEqual(normalizedServiceSpec(written));
  });

  it.each([
    [
      'a ClusterIP Service read back',
      { clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'], type: 'ClusterIP', ports },
    ],
    ['a headless one', { clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4'], ports }],
    ['an ExternalName one', { type: 'ExternalName', externalName: 'podinfo.example.com', ports }],
  ])('gives the same when applied twice, so the live cache may hold %s normalized', (_, spec) => {
    const once = normalizedServiceSpec(spec);

    expect(normalizedServiceSpec(once)).toEqual(once);
  });

  it('tells a headless spec from one with a cluster IP', () => {
    expect(normalizedServiceSpec({ clusterIP: 'None', ports })).not.toEqual(
      normalizedServiceSpec({ clusterIP: '10.96.0.12', ports }),
    );
  });
});
