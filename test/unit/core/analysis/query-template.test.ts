import { describe, expect, it } from 'vitest';
import {
  parseQueryTemplate,
  queryModel,
  renderQuery,
  templateVariableKeys,
  type QueryModel,
} from '../../../../src/core/analysis/query-template.js';
import { aCanary, aService } from '../builders.js';

const model: QueryModel = {
  name: 'podinfo-canary-spec',
  namespace: 'apps',
  target: 'podinfo',
  service: 'www',
  ingress: 'podinfo',
  route: 'podinfo',
  interval: '2m',
  variables: { direction: 'inbound', 'odd-key': 'x' },
};

function render(text: string): string {
  const parsed = parseQueryTemplate(text);
  if (!parsed.ok) throw new Error(parsed.message);
  const rendered = renderQuery(parsed.template, model);
  if (!rendered.ok) throw new Error(rendered.message);
  return rendered.query;
}

function parseError(text: string): string {
  const parsed = parseQueryTemplate(text);
  return parsed.ok ? 'parsed' : parsed.message;
}

describe('renderQuery', () => {
  it.each([
    ['{{ name }}', 'podinfo-canary-spec'],
    ['{{ namespace }}', 'apps'],
    ['{{ target }}', 'podinfo'],
    ['{{ service }}', 'www'],
    ['{{ ingress }}', 'podinfo'],
    ['{{ route }}', 'podinfo'],
    ['{{ interval }}', '2m'],
    ['{{ variables.direction }}', 'inbound'],
    ['{{ index variables "odd-key" }}', 'x'],
    ['{{ index variables `odd-key` }}', 'x'],
  ])('replaces %s with its value', (text, expected) => {
    expect(render(`x{a="${text}"}`)).toBe(`x{a="${expected}"}`);
  });

  it.each([
    ['no spaces', '{{namespace}}', 'apps'],
    ['tabs and newlines', 'a{{\n\tnamespace\n}}b', 'aappsb'],
    ['left trim', 'rate(x[ \n {{- interval }}])', 'rate(x[2m])'],
    ['right trim', 'a {{ namespace -}}  \n b', 'a appsb'],
    ['both trims', 'x = \n{{- target -}}\n ;', 'x =podinfo;'],
    ['a comment', 'a{{/* why */}}b', 'ab'],
  ])('accepts Go template whitespace: %s', (_, text, expected) => {
    expect(render(text)).toBe(expected);
  });

  it('renders a Flagger template as Flagger would', () => {
    const text = `sum(rate(http_requests_total{namespace="{{ namespace }}",job="{{ target }}-canary"}[{{ interval }}]))`;

    expect(render(text)).toBe('sum(rate(http_requests_total{namespace="apps",job="podinfo-canary"}[2m]))');
  });

  function renderWith(text: string, variables: Record<string, string>) {
    const parsed = parseQueryTemplate(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return renderQuery(parsed.template, { ...model, variables });
  }

  it.each([
    // The value that closed the matcher and made every check pass.
    ['x"} or vector(0) or {a="', 'x{app="x\\"} or vector(0) or {a=\\""}'],
    ['back\\slash', 'x{app="back\\\\slash"}'],
    ['two\nlines\r\ttab', 'x{app="two\\nlines\\r\\ttab"}'],
    ['bell\u0007 del\u007f', 'x{app="bell\\x07 del\\x7f"}'],
    ['grün ✓', 'x{app="grün ✓"}'],
  ])('escapes %j inside a "…" label value', (value, expected) => {
    expect(renderWith('x{app="{{ variables.v }}"}', { v: value })).toEqual({ ok: true, query: expected });
  });

  it("escapes the quote of a '…' string, and keeps counting quotes the template escaped itself", () => {
    expect(renderWith("x{app='{{ variables.v }}'}", { v: "it's" })).toEqual({
      ok: true,
      query: "x{app='it\\'s'}",
    });
    expect(renderWith('x{a="say \\"{{ variables.v }}\\""}', { v: '"' })).toEqual({
      ok: true,
      query: 'x{a="say \\"\\"\\""}',
    });
  });

  it.each([
    ['a number', '> {{ variables.v }}', '0.95', true],
    ['a negative number', '> {{ variables.v }}', '-1', true],
    ['a duration', '[{{ variables.v }}]', '1h30m', true],
    ['a metric name', 'sum({{ variables.v }})', 'http_requests_total', true],
    ['an expression', '> {{ variables.v }}', '0 or vector(1)', false],
    ['a selector', 'sum({{ variables.v }})', 'up{job="x"}', false],
    ['a subtraction', '> {{ variables.v }}', '0-up', false],
    ['nothing', '> {{ variables.v }}', '', false],
    ['a value in a comment', '# {{ variables.v }}\nup', 'a b', false],
    ['a backtick in a raw string', 'x{a=`{{ variables.v }}`}', 'a`} or vector(1) or x{a=`', false],
    ['a raw string without one', 'x{a=`{{ variables.v }}`}', 'a"b\\c', true],
    ['a value after a backslash', 'x{a="\\{{ variables.v }}"}', 'n', false],
  ])('outside "…" and \'…\', takes %s only where it cannot change the query: %s', (_, text, v, ok) => {
    expect(renderWith(text, { v }).ok).toBe(ok);
  });

  it('fails when the metric does not set a variable the query uses', () => {
    const parsed = parseQueryTemplate('x{dir="{{ variables.missing }}"}');
    if (!parsed.ok) throw new Error(parsed.message);

    expect(renderQuery(parsed.template, model)).toEqual({
      ok: false,
      message: "the query uses variables.missing, which the metric's templateVariables do not set",
    });
  });

  it('does not take an inherited property for a variable', () => {
    const parsed = parseQueryTemplate('{{ variables.constructor }}');
    if (!parsed.ok) throw new Error(parsed.message);

    expect(renderQuery(parsed.template, model).ok).toBe(false);
  });
});

describe('parseQueryTemplate', () => {
  it.each([
    ['an unknown variable', '{{ pod }}', 'unknown template variable "pod"'],
    ['a Go field reference', '{{ .Name }}', 'unsupported template action "{{ .Name }}"'],
    ['a pipeline', '{{ name | printf "%s" }}', 'unsupported template action'],
    ['a control action', '{{ if name }}x{{ end }}', 'unsupported template action "{{ if name }}"'],
    ['an unclosed action', 'rate(x[{{ interval ])', 'unclosed action at "{{ interval ])"'],
    ['the variables map itself', '{{ variables }}', 'unknown template variable "variables"'],
  ])('rejects %s', (_, text, message) => {
    expect(parseError(text)).toContain(message);
  });

  it('lists the variables a template reads, once each', () => {
    const parsed = parseQueryTemplate('{{ variables.a }}{{ variables.b }}{{ index variables "a" }}');
    if (!parsed.ok) throw new Error(parsed.message);

    expect(templateVariableKeys(parsed.template)).toEqual(['a', 'b']);
  });
});

describe('queryModel', () => {
  it("gives a Service target's names: target is targetRef.name, service is the apex", () => {
    const canary = aCanary({
      name: 'web-release',
      targetName: 'podinfo',
      service: aService({ port: 80, apexName: 'www' }),
    });

    const built = queryModel(canary, { interval: '30s', variables: { a: 'b' } });

    expect(built).toEqual({
      name: 'web-release',
      namespace: 'test',
      target: 'podinfo',
      service: 'www',
      ingress: 'podinfo',
      route: 'podinfo',
      interval: '30s',
      variables: { a: 'b' },
    });
  });

  it('gives the ingressRef name as ingress, as Flagger does (nginx and skipper metrics are per Ingress)', () => {
    const canary = aCanary({ provider: 'nginx', ingressRef: { name: 'podinfo-ingress' } });

    expect(queryModel(canary, { interval: '1m', variables: {} }).ingress).toBe('podinfo-ingress');
  });
});
