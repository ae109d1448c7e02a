import { type CartOp, type CartState, type CausalContext, cartType } from '@cartwheel/crdt';

/** What one coordinator-minted operation was minted against. */
export interface Mint {
  /** The actor that minted it (the coordinating vnode's). */
  readonly actor: string;
  /** The state's context it was applied to, joined with the delta's own. */
  readonly context: CausalContext;
}

/** A delta's dots as a canonical string: every op's delta holds a fresh dot, so keys are unique. */
function contextKey(ctx: CausalContext): string {
  return ctx
    .actors()
    .sort()
    .map((a) => `${a}:${ctx.rangesOf(a).join(';')}`)
    .join('|');
}

/**
 * Records, for every operation a coordinator applies, the state it was applied to: exactly what
 * the minter had seen, which is what a causal stamp must be a lower bound of (CausalStamp). The
 * state `ReplicaNode.update` answers with is not: it is joined with whatever the quorum's
 * replicas held (read-your-writes answers), writes the operation never saw, and a stamp taken
 * from it would put them in the operation's causal past and make the resurrection checker flag
 * concurrent adds that rightly survive.
 *
 * `type` is the cart type with `apply` instrumented; every node of a run shares one log, so an
 * operation forwarded to another coordinator is found too.
 */
export class MintLog {
  private readonly mints = new Map<string, Mint>();

  readonly type: typeof cartType = {
    ...cartType,
    apply: (state: CartState, op: CartOp, actor: string, now: number): CartState => {
      const delta = cartType.apply(state, op, actor, now);
      const own = delta.context();
      this.mints.set(contextKey(own), { actor, context: state.context().clone().join(own) });
      return delta;
    },
  };

  /** The mint of the operation whose delta this is (once), if a coordinator of this run applied it. */
  take(delta: CartState): Mint | undefined {
    const key = contextKey(delta.context());
    const mint = this.mints.get(key);
    this.mints.delete(key);
    return mint;
  }
}
