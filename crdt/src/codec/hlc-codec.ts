/**
 * HLC timestamps inside one encoded value are written relative to the smallest physical time in it
 * (written once), physical and logical parts separately: entries written within a few seconds of
 * each other cost 2-4 bytes instead of 8.
 */
import { HLC_LOGICAL_BITS, hlcLogical, hlcPhysical, packHlc } from '../causal/hlc.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

const MAX_LOGICAL = 2 ** HLC_LOGICAL_BITS - 1;
const MAX_PHYSICAL = Math.floor(Number.MAX_SAFE_INTEGER / 2 ** HLC_LOGICAL_BITS) - 1;

export function basePhysical(hlcs: Iterable<number>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const h of hlcs) {
    const p = hlcPhysical(h);
    if (p < min) min = p;
  }
  return min === Number.POSITIVE_INFINITY ? 0 : min;
}

export function writeHlc(w: Writer, hlc: number, base: number): void {
  w.varuint(hlcPhysical(hlc) - base);
  w.varuint(hlcLogical(hlc));
}

export function readBase(r: Reader): number {
  const b = r.varuint();
  if (b > MAX_PHYSICAL) r.fail('HLC base out of range');
  return b;
}

export function readHlc(r: Reader, base: number): number {
  const p = base + r.varuint();
  if (p > MAX_PHYSICAL) r.fail('HLC physical time out of range');
  const l = r.varuint();
  if (l > MAX_LOGICAL) r.fail('HLC logical part out of range');
  return packHlc(p, l);
}
