// Flagger's metric queries are Go text/template, run with one function per model field and no data. The
// templates people write use only `{{ name }}`-style calls and `{{ variables.key }}`, so that is what this
// reads (with Go's whitespace and `{{- -}}` trim rules); anything else is an error, never a half-rendered query.
// Unlike Go's templates, a value is written for where it lands in the PromQL: escaped inside a string
// literal, and only a single number, duration or name outside one. The Canary's author sets the variables
// and the MetricTemplate's author (often another team) writes the query; a value must not rewrite it.
import type { CanarySpec } from '../model.js';

/** The template variables, as Flagger names them (pkg/apis/flagger/v1beta1 MetricTemplateModel). */
const QUERY_FIELDS = ['name', 'namespace', 'target', 'service', 'ingress', 'route', 'interval'] as const;
type QueryField = (typeof QUERY_FIELDS)[number];

export type QueryModel = Record<QueryField, string> & {
  /** The metric's `templateVariables`. */
  variables: Readonly<Record<string, string>>;
};

type Part =
  { kind: 'text'; text: string } | { kind: 'field'; field: QueryField } | { kind: 'variable'; key: string };

export interface QueryTemplate {
  readonly parts: readonly Part[];
}

type ParseTemplateResult = { ok: true; template: QueryTemplate } | { ok: false; message: string };
type RenderResult = { ok: true; query: string } | { ok: false; message: string };

const SUPPORTED = `use {{ ${QUERY_FIELDS.join(' }}, {{ ')} }}, {{ variables.KEY }} or {{ index variables "KEY" }}`;
// Go allows a trim marker only when a space, tab or newline separates it from the action.
const TRIM_LEFT = /^-[ \t\r\n]/u;
const TRIM_RIGHT = /[ \t\r\n]-$/u;
const IDENTIFIER = /^[A-Za-z_]\w*$/u;
const VARIABLE_FIELD = /^variables\.([A-Za-z_]\w*)$/u;
const VARIABLE_INDEX = /^index\s+variables\s+("(?:[^"\\]|\\.)*"|`[^`]*`)$/u;

export function parseQueryTemplate(text: string): ParseTemplateResult {
  const parts: Part[] = [];
  let rest = text;
  let trimNext = false;
  for (;;) {
    const open = rest.indexOf('{{');
    let literal = open === -1 ? rest : rest.slice(0, open);
    if (trimNext) literal = literal.trimStart();
    if (open === -1) {
      if (literal !== '') parts.push({ kind: 'text', text: literal });
      return { ok: true, template: { parts } };
    }
    const close = rest.indexOf('}}', open + 2);
    if (close === -1) return { ok: false, message: `unclosed action at "${excerpt(rest.slice(open))}"` };
    let action = rest.slice(open + 2, close);
    const trimBefore = TRIM_LEFT.test(action);
    trimNext = TRIM_RIGHT.test(action);
    if (trimBefore) {
      action = action.slice(1);
      literal = literal.trimEnd();
    }
    if (trimNext) action = action.slice(0, -1);
    if (literal !== '') parts.push({ kind: 'text', text: literal });

    const part = readAction(action.trim());
    if (typeof part === 'string') return { ok: false, message: part };
    if (part) parts.push(part);
    rest = rest.slice(close + 2);
  }
}

/**
 * Fills the template in; a `variables.KEY` the metric does not set is an error, as in Flagger, and so is a
 * value that cannot be written where it lands (see placeValue).
 */
export function renderQuery(template: QueryTemplate, model: QueryModel): RenderResult {
  let query = '';
  let context: LexicalContext = 'code';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      query += part.text;
      context = scan(part.text, context);
      continue;
    }
    let value: string | undefined;
    if (part.kind === 'field') value = model[part.field];
    else {
      value = Object.hasOwn(model.variables, part.key) ? model.variables[part.key] : undefined;
      if (value === undefined) return { ok: false, message: missingVariable(part.key) };
    }
    const placed = placeValue(value, context);
    if (placed === undefined) return { ok: false, message: misplacedValue(part, context) };
    query += placed;
  }
  return { ok: true, query };
}

/**
 * Where in PromQL's lexical grammar a position is: in code, inside one of the three string literals, in a
 * comment, or just after a backslash inside a string (where no value can be placed safely).
 */
type LexicalContext = 'code' | 'double' | 'single' | 'backtick' | 'comment' | 'escape';

/**
 * The value as it must be written in `context`, or undefined when it cannot be: inside "…" and '…' every
 * backslash, the quote and each control character is escaped (Go's escapes, which PromQL reads); a `…` raw
 * string has no escapes, so a value with a backtick is refused; outside a string a value must be one
 * token (a number, a duration or a name), so that it cannot add a selector, an operator or a closing brace.
 */
function placeValue(value: string, context: LexicalContext): string | undefined {
  switch (context) {
    case 'double':
    case 'single':
      return escapeForString(value, context === 'double' ? '"' : "'");
    case 'backtick':
      return value.includes('`') ? undefined : value;
    case 'escape':
      return undefined;
    default:
      return BARE_TOKEN.test(value) ? value : undefined;
  }
}

// A number (with an optional sign, as in `> -1`), a Prometheus duration or a metric / label name.
const BARE_TOKEN =
  /^(?:[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|0x[0-9a-f]+|inf|nan)|(?:\d+(?:ms|[smhdwy]))+|[a-z_:][\w:]*)$/iu;

/** The lexical context after `text`, starting in `context`. */
function scan(text: string, start: LexicalContext): LexicalContext {
  // A value right after a backslash was refused, so a text part never starts inside an escape.
  let context = start;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (context === 'code') {
      if (char === '"') context = 'double';
      else if (char === "'") context = 'single';
      else if (char === '`') context = 'backtick';
      else if (char === '#') context = 'comment';
    } else if (context === 'comment') {
      if (char === '\n') context = 'code';
    } else if (context === 'backtick') {
      if (char === '`') context = 'code';
    } else if (char === '\\') {
      // An escape in the template's own text: the next character does not end the string.
      if (i === text.length - 1) return 'escape';
      i += 1;
    } else if (char === (context === 'double' ? '"' : "'")) {
      context = 'code';
    }
  }
  return context;
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeForString(value: string, quote: '"' | "'"): string {
  let escaped = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\' || char === quote) escaped += `\\${char}`;
    else if (NAMED_ESCAPES[char] !== undefined) escaped += NAMED_ESCAPES[char];
    else if (code < 0x20 || code === 0x7f) escaped += `\\x${code.toString(16).padStart(2, '0')}`;
    else escaped += char;
  }
  return escaped;
}

function misplacedValue(part: Part, context: LexicalContext): string {
  const what = part.kind === 'variable' ? `variables.${part.key}` : part.kind === 'field' ? part.field : '';
  if (context === 'backtick')
    return `the value of ${what} holds a backtick, which a \`…\` string cannot hold`;
  if (context === 'escape') return `${what} follows a backslash in the query; a value cannot start an escape`;
  return `the value of ${what} is used outside a string in the query, where it must be a single number, duration or name; quote it in the MetricTemplate ("{{ ${what} }}")`;
}

/**
 * The values Flagger gives a Canary's queries, for a Service target: `target` is `targetRef.name` (the
 * target Service, whose name the primary and canary Services carry), `service` is `service.name` (the apex)
 * or else the target, `ingress` is `ingressRef.name` (nginx, skipper) or else the target, and `route` is the
 * target (no routeRef here).
 */
export function queryModel(
  canary: CanarySpec,
  metric: { interval: string; variables: Readonly<Record<string, string>> },
): QueryModel {
  return {
    name: canary.name,
    namespace: canary.namespace,
    target: canary.targetName,
    service: canary.service.apexName,
    ingress: canary.ingressRef?.name ?? canary.targetName,
    route: canary.targetName,
    interval: metric.interval,
    variables: metric.variables,
  };
}

/** The `variables.KEY` keys a template reads, in order of first use. */
export function templateVariableKeys(template: QueryTemplate): string[] {
  const keys = template.parts.flatMap((part) => (part.kind === 'variable' ? [part.key] : []));
  return [...new Set(keys)];
}

export function missingVariable(key: string): string {
  return `the query uses variables.${key}, which the metric's templateVariables do not set`;
}

/** One action's contents, trimmed: a part, nothing (a comment), or why it cannot be rendered. */
function readAction(expression: string): Part | undefined | string {
  if (expression.startsWith('/*') && expression.endsWith('*/')) return undefined;
  if (IDENTIFIER.test(expression)) {
    if ((QUERY_FIELDS as readonly string[]).includes(expression)) {
      return { kind: 'field', field: expression as QueryField };
    }
    return `unknown template variable "${expression}": ${SUPPORTED}`;
  }
  const field = VARIABLE_FIELD.exec(expression);
  if (field?.[1] !== undefined) return { kind: 'variable', key: field[1] };
  const index = VARIABLE_INDEX.exec(expression);
  if (index?.[1] !== undefined) {
    const literal = index[1];
    if (literal.startsWith('`')) return { kind: 'variable', key: literal.slice(1, -1) };
    try {
      return { kind: 'variable', key: JSON.parse(literal) as string };
    } catch {
      return `unsupported escape in ${literal}: write the key plainly`;
    }
  }
  return `unsupported template action "{{ ${excerpt(expression)} }}": ${SUPPORTED}`;
}

function excerpt(text: string): string {
  const line = text.replace(/\s+/gu, ' ');
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}
