/**
 * Batch frames of the cluster transport: one WebSocket binary frame carrying several replication
 * messages, each as `varuint length · bytes`. A node sends everything it has for a peer in one
 * event-loop turn as one frame: under load the messages of many concurrent requests travel in one
 * write and one frame instead of one of each per message (the per-frame work of ws on both ends and
 * the per-write syscall were ~10% of a cluster node's CPU).
 *
 * Negotiated per connection: the dialling node asks with `x-cartwheel-cluster-frames: batch-1` on
 * its upgrade request, and an accepting node that understands them answers with the same header
 * and then reads every frame of that connection as a batch. A node that does not know the header
 * ignores it and the dialler keeps sending one message per frame (rolling upgrades).
 */

export const FRAMES_HEADER = 'x-cartwheel-cluster-frames';
export const BATCH_FRAMES = 'batch-1';

/** Bytes of the length prefix of a `length`-byte message (LEB128). */
export function prefixBytes(length: number): number {
  let n = 1;
  for (let v = length; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

/** One batch frame holding `messages` (in order). */
export function encodeBatch(messages: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const m of messages) size += prefixBytes(m.byteLength) + m.byteLength;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const m of messages) {
    let v = m.byteLength;
    while (v >= 0x80) {
      out[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[pos++] = v;
    out.set(m, pos);
    pos += m.byteLength;
  }
  return out;
}

/**
 * The messages of a batch frame, as views into it (no copy). A malformed frame yields the messages
 * before the damage and then stops: the transport is unreliable by contract, the core recovers.
 */
export function decodeBatch(frame: Uint8Array): { messages: Uint8Array[]; malformed: boolean } {
  const messages: Uint8Array[] = [];
  let pos = 0;
  while (pos < frame.byteLength) {
    let length = 0;
    let mul = 1;
    let b: number;
    let i = 0;
    do {
      if (pos >= frame.byteLength || i === 5) return { messages, malformed: true };
      b = frame[pos++]!;
      length += (b & 0x7f) * mul;
      mul *= 0x80;
      i++;
    } while (b >= 0x80);
    if (length > frame.byteLength - pos) return { messages, malformed: true };
    messages.push(frame.subarray(pos, pos + length));
    pos += length;
  }
  return { messages, malformed: false };
}
