/**
 * The poisoning sequence of the issue, for the tests and the soak script: device deltas whose
 * context names single dots of the device's own actor spaced one apart (1, 3, 5, ...), continued
 * from one delta to the next. Each adds as many ranges to the cart's context as it names dots;
 * 23,000 per delta fit a 64 KiB merge body, and 44 such merges once took a cart past the decoder's
 * 1,000,000 intervals.
 */
import { type CartState, cartFromJSON } from '@cartwheel/crdt';

export function spacedDotDeltas(actor: string, deltas: number, dotsPerDelta: number, first = 1): CartState[] {
  const out: CartState[] = [];
  let next = first;
  for (let d = 0; d < deltas; d++) {
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i < dotsPerDelta; i++, next += 2) ranges.push([next, next]);
    out.push(cartFromJSON({ version: 1, context: { [actor]: ranges }, lines: {} }));
  }
  return out;
}
