// git's pkt-line framing, for the smart-HTTP requests made by hand (send-pack.ts, upload-pack.ts): each
// packet is its length in four hex digits (the four included) and its payload; 0000 is a flush, 0001 a
// delimiter (protocol v2).

/** A packet carrying `text`. */
export function pktLine(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

export const flushPkt = Buffer.from('0000');
export const delimPkt = Buffer.from('0001');

export type Packet = { kind: 'data'; payload: Buffer } | { kind: 'flush' } | { kind: 'delim' };

/** The packets of `buffer`, in order; a length that is not one ends it with an error. */
export function* packets(buffer: Buffer): Generator<Packet> {
  let at = 0;
  while (at < buffer.length) {
    const length = Number.parseInt(buffer.toString('latin1', at, at + 4), 16);
    if (Number.isNaN(length) || at + Math.max(length, 4) > buffer.length) {
      throw new Error(`not a pkt-line at byte ${at} of the answer`);
    }
    if (length === 0) yield { kind: 'flush' };
    else if (length === 1) yield { kind: 'delim' };
    else if (length < 4) throw new Error(`a pkt-line of length ${length} at byte ${at} of the answer`);
    else yield { kind: 'data', payload: buffer.subarray(at + 4, at + length) };
    at += Math.max(length, 4);
  }
}

/**
 * The payloads of a pkt-line stream as text, without their trailing newline; flush and delimiter packets
 * are skipped, and the lines before a malformed packet are kept (a report cut short still says what it says).
 */
export function readPktLines(buffer: Buffer): string[] {
  const lines: string[] = [];
  try {
    for (const packet of packets(buffer)) {
      if (packet.kind === 'data') lines.push(packet.payload.toString('utf8').replace(/\n$/, ''));
    }
  } catch {
    // Not a pkt-line from here on: what came before stands.
  }
  return lines;
}
