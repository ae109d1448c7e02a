// Line join (Cartwheel only): does joining states cost linear time in the entries of one cart line?
// 256 actors each fork the same empty base and make 16 adds, then every per-actor state is joined
// into one with `cartType.join` (left fold) and the result compared with `cartType.equals` against
// the result of an untimed warm-up join. (a) all 16 adds of every actor on line 'p': one line of
// 4,096 entries; (b) one add of every actor on each of 16 lines: 16 lines of 256 entries. Same
// entries, same states, same number of joins; (a)/(b) near 1 means the per-line cost is linear.
import { Cart, type CartState, cartType } from '@cartwheel/crdt';
import type { Progress } from './crdt-stages.js';
import { median, timeMs } from './crdt-stats.js';

export const LINE_JOIN_ACTORS = 256;
export const LINE_JOIN_ADDS = 16;

export interface LineJoin {
  readonly entries: number;
  /** (a) one line of 4,096 entries: join all per-actor states + equals, ms (median). */
  readonly oneLineMs: number;
  /** (b) 16 lines × 256 entries: the same, ms (median). */
  readonly spreadMs: number;
  /** oneLineMs / spreadMs. */
  readonly ratio: number;
  readonly runs: number;
}

function actorStates(lineFor: (add: number) => string): CartState[] {
  const base = cartType.empty();
  const states: CartState[] = [];
  for (let i = 0; i < LINE_JOIN_ACTORS; i++) {
    const c = Cart.fromState(base, { actor: `a${i}` });
    for (let k = 0; k < LINE_JOIN_ADDS; k++) c.add(lineFor(k), 1);
    states.push(c.state());
  }
  return states;
}

function joinAll(states: readonly CartState[]): CartState {
  let acc = cartType.empty();
  for (const s of states) acc = cartType.join(acc, s);
  return acc;
}

function checkQuantities(what: string, joined: CartState, expected: Map<string, number>): void {
  const cart = Cart.fromState(joined, { actor: 'check' });
  const lines = cart.lines();
  const ok = lines.length === expected.size && lines.every((l) => expected.get(l.productId) === l.quantity);
  if (!ok) throw new Error(`line join ${what}: unexpected lines ${JSON.stringify(lines.slice(0, 4))}`);
}

/** Untimed warm-up join, checked; its result is the reference the timed joins must equal. */
function reference(what: string, states: readonly CartState[], expected: Map<string, number>): CartState {
  const joined = joinAll(states);
  checkQuantities(what, joined, expected);
  return joined;
}

/** One timed pass: join all per-actor states, then `equals` against the reference. */
function timeJoin(what: string, states: readonly CartState[], ref: CartState): number {
  return timeMs(() => {
    const joined = joinAll(states);
    if (!cartType.equals(joined, ref)) throw new Error(`line join ${what}: results differ`);
  });
}

export function stageLineJoin(runs: number, progress: Progress): LineJoin {
  const entries = LINE_JOIN_ACTORS * LINE_JOIN_ADDS;
  const oneLine = actorStates(() => 'p');
  const spread = actorStates((k) => `p${k}`);
  const oneLineExpected = new Map([['p', entries]]);
  const spreadExpected = new Map(
    Array.from({ length: LINE_JOIN_ADDS }, (_, k) => [`p${k}`, LINE_JOIN_ACTORS] as const),
  );
  const refA = reference('(a) one line', oneLine, oneLineExpected);
  const refB = reference('(b) 16 lines', spread, spreadExpected);
  // Interleave the two cases run by run, so load from other processes hits both alike.
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < runs; r++) {
    a.push(timeJoin('(a) one line', oneLine, refA));
    b.push(timeJoin('(b) 16 lines', spread, refB));
  }
  const oneLineMs = median(a);
  const spreadMs = median(b);
  progress(
    `line join: ${entries} entries, (a) one line ${oneLineMs.toFixed(2)} ms, ` +
      `(b) 16 lines ${spreadMs.toFixed(2)} ms, ratio ${(oneLineMs / spreadMs).toFixed(2)}`,
  );
  return { entries, oneLineMs, spreadMs, ratio: oneLineMs / spreadMs, runs };
}

export function renderLineJoin(lj: LineJoin): string {
  const f = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
  const n = lj.entries.toLocaleString('en-US');
  const rows: [string, string][] = [
    [`(a) one line × ${n} entries, ms`, f(lj.oneLineMs)],
    [`(b) ${LINE_JOIN_ADDS} lines × ${LINE_JOIN_ACTORS} entries, ms`, f(lj.spreadMs)],
    ['(a)/(b), target close to 1', `${lj.ratio.toFixed(2)}×`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return [
    `line join (cartwheel only): ${LINE_JOIN_ACTORS} actors × ${LINE_JOIN_ADDS} adds = ${n} entries; ` +
      `cartType.join of all per-actor states + equals, median of ${lj.runs}`,
    ...rows.map(([label, value]) => `${label.padEnd(w0)}  ${value.padStart(w1)}`),
  ].join('\n');
}
