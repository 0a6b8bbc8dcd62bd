// Counts the nodes of a YAML text before anything parses it. js-yaml turns a whole file into an array of
// parser events before it builds a single document, ~200 bytes an event: a 1 MiB file of small nodes
// (`[1,1,1,…]`) cost ~100 MiB while it was parsed, long before any document limit could look at it. yaml's
// lexer yields one token at a time and keeps none, so counting with it costs no memory, and it stops at the
// budget.
import { Lexer } from 'yaml';

type NodeCount = { ok: true; nodes: number } | { ok: false; offset: number };

// The lexer's own markers, which are not characters of the text (yaml's CST: DOCUMENT, FLOW_END, SCALAR).
const DOCUMENT = '\x02';
const FLOW_END = '\x18';
const SCALAR = '\x1f';
/** Indicators after which a node is expected; with no node there, the node is an implicit null. */
const ENTRY_INDICATORS = new Set(['-', '?', ':']);
/** Tokens that close an entry, leaving an awaited node null. */
const ENTRY_ENDS = new Set([',', ']', '}', '---', '...', DOCUMENT]);

/**
 * The nodes of `text` (scalars, aliases, flow collections, and the empty values of `-`, `?` and `:`), or
 * the offset of the node past `max`. Block mappings and sequences are not counted themselves: each holds at
 * least one counted node, so the text's nodes are at most twice the count.
 */
export function countYamlNodes(text: string, max: number): NodeCount {
  let nodes = 0;
  let offset = 0;
  let awaited = false;
  for (const token of new Lexer().lex(text)) {
    const first = token[0];
    const isNode =
      token === SCALAR || token === '[' || token === '{' || first === '"' || first === "'" || first === '*';
    // A scalar's marker is followed by its text: the node is counted at the marker.
    if (isNode || (awaited && (ENTRY_INDICATORS.has(token) || ENTRY_ENDS.has(token)))) {
      nodes += 1;
      if (nodes > max) return { ok: false, offset };
    }
    if (isNode) awaited = false;
    else if (ENTRY_INDICATORS.has(token)) awaited = true;
    else if (ENTRY_ENDS.has(token)) awaited = false;
    if (token !== DOCUMENT && token !== FLOW_END && token !== SCALAR) offset += token.length;
  }
  return { ok: true, nodes: nodes + (awaited ? 1 : 0) };
}
