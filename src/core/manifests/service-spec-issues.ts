// Kubernetes' own rules for the fields of a Service's spec that gitcanary copies onto the Services it
// generates (k8s.io/kubernetes pkg/apis/core/validation ValidateService): the type, the ports, the selector
// and the ExternalName host. The API server would refuse any of them in a generated file after it was
// committed; here each is an error at its field before anything is planned.
import type { FieldIssue } from './field-issue.js';
import { isRecord } from './is-record.js';
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  ianaPortNameProblem,
  labelIssues,
} from './kube-names.js';

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

/** What is wrong with the spec of a Service gitcanary would copy, field by field. */
export function serviceSpecIssues(spec: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const add = (field: string, problem: string | undefined) => {
    if (problem) issues.push({ field, message: problem });
  };
  // An empty type, protocol or targetPort is defaulted by the API server (ClusterIP, TCP, the port).
  if (spec.type != null && spec.type !== '') add('spec.type', oneOf(spec.type, SERVICE_TYPES));
  if (spec.selector != null) {
    if (isRecord(spec.selector)) issues.push(...labelIssues(spec.selector, 'spec.selector'));
    else add('spec.selector', 'must be a map of labels');
  }
  if (spec.externalName != null) {
    add(
      'spec.externalName',
      typeof spec.externalName === 'string'
        ? // A fully qualified name may end with a dot, as Kubernetes allows.
          dns1123SubdomainProblem(spec.externalName.replace(/\.$/, ''))
        : 'must be a host name',
    );
  }
  if (spec.ports != null) {
    if (Array.isArray(spec.ports)) issues.push(...portIssues(spec.ports));
    else add('spec.ports', 'must be a list of ports');
  }
  return issues;
}

function portIssues(ports: readonly unknown[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const names = new Set<string>();
  ports.forEach((port, index) => {
    const field = `spec.ports[${index}]`;
    const add = (name: string, problem: string | undefined) => {
      if (problem) issues.push({ field: `${field}.${name}`, message: problem });
    };
    if (!isRecord(port)) {
      issues.push({ field, message: 'must be a port: a mapping with at least `port`' });
      return;
    }
    add('port', port.port == null ? 'required' : portNumberProblem(port.port));
    if (port.targetPort != null && port.targetPort !== 0 && port.targetPort !== '') {
      add(
        'targetPort',
        typeof port.targetPort === 'string'
          ? ianaPortNameProblem(port.targetPort)
          : portNumberProblem(port.targetPort),
      );
    }
    if (port.protocol != null && port.protocol !== '') add('protocol', oneOf(port.protocol, PORT_PROTOCOLS));
    // A name is required when there are several ports, so that each can be told apart; unique always.
    if (port.name == null || port.name === '') {
      if (ports.length > 1) add('name', 'required when a Service has more than one port');
    } else if (typeof port.name !== 'string') add('name', 'must be a string');
    else if (names.has(port.name)) add('name', `${JSON.stringify(port.name)} is the name of another port`);
    else {
      names.add(port.name);
      add('name', dns1123LabelProblem(port.name));
    }
  });
  return issues;
}

function portNumberProblem(value: unknown): string | undefined {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535
    ? undefined
    : `${JSON.stringify(value)} is not a port number: a whole number from 1 to 65535`;
}

function oneOf(value: unknown, allowed: readonly string[]): string | undefined {
  return typeof value === 'string' && allowed.includes(value)
    ? undefined
    : `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`;
}
