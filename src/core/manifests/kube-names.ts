// Kubernetes' own rules for the names, label keys and values and annotations gitcanary writes
// (k8s.io/apimachinery/pkg/util/validation and apimachinery's ValidateAnnotations). A name the API server
// would refuse is refused here, with its field, so that it is never committed in a generated file and never
// made into a path.
import type { FieldIssue } from './field-issue.js';
import { fieldKeys } from './field-line.js';
import { formatFieldPath } from './manifest-error.js';

export const kubeLimits = {
  /** A DNS-1123 or DNS-1035 label, a label value, the name part of a qualified name. */
  label: 63,
  /** A DNS-1123 subdomain (a qualified name's prefix, an ExternalName host). */
  subdomain: 253,
  /** A port name (IANA_SVC_NAME). */
  portName: 15,
  /** All annotations of one object: keys and values (TotalAnnotationSizeLimitB). */
  annotationBytes: 256 * 1024,
} as const;

/** The longest suffix gitcanary adds to a target's name (`-primary`, `-canary`). */
export const generatedSuffixes = ['-primary', '-canary'] as const;

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A namespace: a DNS-1123 label. */
export function dns1123LabelProblem(value: string): string | undefined {
  return (
    tooLong(value, kubeLimits.label) ??
    (dns1123Label.test(value)
      ? undefined
      : `${quote(value)} is not a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit`)
  );
}

/** A Service's name: a DNS-1035 label. */
export function dns1035LabelProblem(value: string): string | undefined {
  return (
    tooLong(value, kubeLimits.label) ??
    (dns1035Label.test(value)
      ? undefined
      : `${quote(value)} is not a DNS-1035 label: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit`)
  );
}

/** A custom resource's name (a Canary), or a host: a DNS-1123 subdomain. */
export function dns1123SubdomainProblem(
  value: string,
  maxLength: number = kubeLimits.subdomain,
): string | undefined {
  return (
    tooLong(value, maxLength) ??
    (dns1123Subdomain.test(value)
      ? undefined
      : `${quote(value)} is not a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit`)
  );
}

/**
 * A named port (a Service's `targetPort`, a container port's name): an IANA service name, at most 15
 * lower-case letters, digits and '-', with at least one letter, no '--', not starting or ending with '-'.
 */
export function ianaPortNameProblem(value: string): string | undefined {
  const rule = `is not a port name: at most ${kubeLimits.portName} lower-case letters, digits and '-', with at least one letter, starting and ending with a letter or digit, no '--'`;
  const valid =
    value.length >= 1 &&
    value.length <= kubeLimits.portName &&
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) &&
    /[a-z]/.test(value) &&
    !value.includes('--');
  return valid ? undefined : `${quote(value)} ${rule}`;
}

/** The kind of an object referred to (a Gateway API `Kind`): a letter, then letters, digits and '-'. */
export function kindProblem(value: string): string | undefined {
  return (
    tooLong(value, kubeLimits.label) ??
    (/^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(value)
      ? undefined
      : `${quote(value)} is not a kind: letters, digits and '-', starting with a letter and ending with a letter or digit`)
  );
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS-1123 subdomain. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (parts.length > 2 || name === undefined) return `the key ${quote(key)} holds more than one '/'`;
  if (prefix !== undefined) {
    if (prefix === '') return `the key ${quote(key)} has an empty prefix`;
    const problem = dns1123SubdomainProblem(prefix);
    if (problem) return `the prefix of the key ${quote(key)}: ${problem}`;
  }
  if (name.length > kubeLimits.label)
    return `the key ${quote(key)} has a name of ${name.length} characters, over ${kubeLimits.label}`;
  if (!qualifiedNamePart.test(name)) {
    return `the key ${quote(key)} is not a qualified name: letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** A label's value: empty, or at most 63 characters as a qualified name's name part. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  return (
    tooLong(value, kubeLimits.label) ??
    (qualifiedNamePart.test(value)
      ? undefined
      : `${quote(value)} is not a label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit`)
  );
}

/** Labels (or a selector): each key a qualified name, each value a label value. */
export function labelIssues(labels: Readonly<Record<string, unknown>>, field: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) issues.push({ field: keyField(field, key), message: keyProblem });
    else if (typeof value !== 'string')
      issues.push({ field: keyField(field, key), message: 'must be a string' });
    else {
      const valueProblem = labelValueProblem(value);
      if (valueProblem) issues.push({ field: keyField(field, key), message: valueProblem });
    }
  }
  return issues;
}

/** Annotations: each key a qualified name (lower case prefix), all of them together at most 256 KiB. */
export function annotationIssues(
  annotations: Readonly<Record<string, unknown>>,
  field: string,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const keyProblem = qualifiedNameProblem(key.toLowerCase());
    if (keyProblem) issues.push({ field: keyField(field, key), message: keyProblem });
    bytes += utf8Length(key) + (typeof value === 'string' ? utf8Length(value) : 0);
  }
  if (bytes > kubeLimits.annotationBytes) {
    issues.push({
      field,
      message: `the annotations are ${bytes.toLocaleString('en')} bytes, over the limit of ${kubeLimits.annotationBytes / 1024} KiB of an object's annotations`,
    });
  }
  return issues;
}

/** `metadata.labels["app.kubernetes.io/name"]`: a key with dots or slashes stays one key. */
function keyField(field: string, key: string): string {
  return formatFieldPath([...fieldKeys(field), key]);
}

/** Bytes of `text` in UTF-8, as the API server counts them, without encoding it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function tooLong(value: string, maxLength: number): string | undefined {
  if (value.length <= maxLength) return undefined;
  return `${quote(value.length > 80 ? `${value.slice(0, 60)}…` : value)} is ${value.length} characters, over the limit of ${maxLength}`;
}

function quote(value: string): string {
  return JSON.stringify(value);
}
