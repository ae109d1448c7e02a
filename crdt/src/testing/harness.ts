/**
 * What the shared scenario and property suites need to know about a replicated type. Every CRDT in
 * this package (and any type another package adds) plugs in through one of these, in the spirit of
 * Collabs' per-type scenario harness and riak_dt's eqc properties.
 */
import fc from 'fast-check';
import type { CausalContext } from '../causal/causal-context.js';

export interface CrdtHarness<R, S, Op> {
  readonly name: string;
  create(actor: string): R;
  fromState(state: S, actor: string): R;
  /** Random operations; applying any of them to any replica must succeed. */
  readonly op: fc.Arbitrary<Op>;
  /** Applies `op` to the replica and returns its delta. */
  mutate(replica: R, op: Op): S;
  applyDelta(replica: R, delta: S): void;
  state(replica: R): S;
  empty(): S;
  join(a: S, b: S): S;
  equals(a: S, b: S): boolean;
  encode(state: S): Uint8Array;
  decode(bytes: Uint8Array): S;
  /** The user-visible value, for comparing with models. */
  read(replica: R): unknown;
  context?(replica: R): CausalContext;
  deltaSince?(replica: R, peer: CausalContext): S;
}

/** Deterministic ops for scenarios: the same seed always gives the same list. */
export function sampleOps<Op>(arb: fc.Arbitrary<Op>, seed: number, count: number): Op[] {
  return fc.sample(arb, { seed, numRuns: count });
}

export type Command<Op> =
  | { readonly at: number; readonly op: Op }
  | { readonly from: number; readonly to: number };

/** A random history over `replicas` replicas: local ops and full-state syncs between them. */
export function historyArb<Op>(
  op: fc.Arbitrary<Op>,
  replicas = 3,
  maxLength = 30,
): fc.Arbitrary<Command<Op>[]> {
  const local = fc.record({ at: fc.nat(replicas - 1), op });
  const sync = fc.record({ from: fc.nat(replicas - 1), to: fc.nat(replicas - 1) });
  return fc.array(fc.oneof({ arbitrary: local, weight: 3 }, { arbitrary: sync, weight: 1 }), { maxLength });
}

export interface RunResult<R, S> {
  readonly replicas: R[];
  /** Every delta produced, in production order. */
  readonly deltas: S[];
}

export function runHistory<R, S, Op>(
  h: CrdtHarness<R, S, Op>,
  cmds: readonly Command<Op>[],
  replicas = 3,
): RunResult<R, S> {
  const rs = Array.from({ length: replicas }, (_, i) => h.create(`r${i}`));
  const deltas: S[] = [];
  for (const c of cmds) {
    if ('op' in c) deltas.push(h.mutate(rs[c.at]!, c.op));
    else if (c.from !== c.to) h.applyDelta(rs[c.to]!, h.state(rs[c.from]!));
  }
  return { replicas: rs, deltas };
}

/** Joins all replicas' states (what full-state anti-entropy converges to). */
export function joinAll<R, S, Op>(h: CrdtHarness<R, S, Op>, rs: readonly R[]): S {
  return rs.reduce((acc, r) => h.join(acc, h.state(r)), h.empty());
}
