// The one form in which anything a remote peer said may reach git: a short, single line of printable text.
// Check reasons are written into the state document and the commit's Canary message, and a receiver or a
// metrics provider chosen by the repository must not be able to write more there than a status.

/** The longest reason recorded, in characters; beyond it the text is cut and ends with `…`. */
const MAX_STATUS_LINE_CHARS = 200;

// Control characters, format characters (bidi overrides, zero-width joiners) and line separators: each
// could forge a line of its own in `git log`, or hide what a line says.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu;

export function statusLine(text: string, maxChars = MAX_STATUS_LINE_CHARS): string {
  const line = text.replace(UNPRINTABLE, ' ').replace(/\s+/gu, ' ').trim();
  const chars = Array.from(line);
  return chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join('')}…` : line;
}
