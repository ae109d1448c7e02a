/**
 * HLC timestamps inside one encoded value are written relative to the smallest wall time in it
 * (written once), wall and logical parts separately: entries written within a few seconds of
 * each other cost 2-4 bytes instead of 8. Formats ≤ 2 packed 12 logical bits; `readLegacyHlc`
 * converts them (see causal/hlc.ts).
 */
import {
  HLC_LOGICAL_BITS,
  HLC_MAX_WALL,
  hlcFromLegacyParts,
  hlcLogical,
  hlcPhysical,
  packHlc,
} from '../causal/hlc.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

const MAX_LOGICAL = 2 ** HLC_LOGICAL_BITS - 1;
const LEGACY_MAX_LOGICAL = 2 ** 12 - 1;

export function writeHlc(w: Writer, hlc: number, base: number): void {
  w.varuint(hlcPhysical(hlc) - base);
  w.varuint(hlcLogical(hlc));
}

export function readBase(r: Reader): number {
  const b = r.varuint();
  if (b > HLC_MAX_WALL) r.fail('HLC base out of range');
  return b;
}

export function readHlc(r: Reader, base: number): number {
  const p = base + r.varuint();
  if (p > HLC_MAX_WALL) r.fail('HLC wall time past the year 9999');
  const l = r.varuint();
  if (l > MAX_LOGICAL) r.fail('HLC logical part out of range');
  return packHlc(p, l);
}

/** A format ≤ 2 timestamp (12 logical bits), converted to today's packing. */
export function readLegacyHlc(r: Reader, base: number): number {
  const p = base + r.varuint();
  const l = r.varuint();
  if (l > LEGACY_MAX_LOGICAL) r.fail('HLC logical part out of range');
  const hlc = hlcFromLegacyParts(p, l);
  if (hlc === undefined) return r.fail('HLC wall time past the year 9999');
  return hlc;
}
