import type { HistoryOp } from '../history/history.js';
import type { CartInspection } from '../stores/store.js';
import { CartModel } from './model.js';

export interface Violation {
  readonly checker: 'diverged' | 'lostAdds' | 'resurrections' | 'readYourWrites' | 'quantity';
  readonly cart: string;
  readonly productId?: string;
  readonly detail: string;
}

export interface CheckInput {
  readonly ops: readonly HistoryOp[];
  readonly carts: ReadonlyMap<string, CartInspection>;
  readonly n: number;
  readonly maxQuantity: number;
}

/** The write ids live in a cart at the end. */
function liveIds(inspection: CartInspection | undefined): string[] {
  return inspection?.lines.flatMap((l) => l.ids) ?? [];
}

function groupByCart(ops: readonly HistoryOp[]): Map<string, HistoryOp[]> {
  const m = new Map<string, HistoryOp[]>();
  for (const op of ops) {
    let list = m.get(op.cart);
    if (list === undefined) {
      list = [];
      m.set(op.cart, list);
    }
    list.push(op);
  }
  return m;
}

/**
 * The per-cart grouping and models of one input, built once and shared by the checkers that run
 * over it (a model's causal pasts are its costly part). Inputs are not mutated after checking
 * starts, so caching by identity is safe.
 */
interface Analysis {
  readonly byCart: Map<string, HistoryOp[]>;
  readonly models: Map<string, CartModel>;
}

const analyses = new WeakMap<CheckInput, Analysis>();

function analysis(input: CheckInput): Analysis {
  let a = analyses.get(input);
  if (a === undefined) {
    a = { byCart: groupByCart(input.ops), models: new Map() };
    analyses.set(input, a);
  }
  return a;
}

function byCart(input: CheckInput): Map<string, HistoryOp[]> {
  return analysis(input).byCart;
}

function modelOf(input: CheckInput, cart: string): CartModel {
  const a = analysis(input);
  let model = a.models.get(cart);
  if (model === undefined) {
    model = new CartModel(a.byCart.get(cart) ?? [], liveIds(input.carts.get(cart)));
    a.models.set(cart, model);
  }
  return model;
}

/** 1. Convergence: after heal and quiescence every replica of a cart is equal. */
export function checkConvergence(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const [cart, inspection] of input.carts) {
    const digests = new Set(inspection.replicas.map((r) => r.digest));
    if (digests.size > 1)
      out.push({
        checker: 'diverged',
        cart,
        detail: inspection.replicas.map((r) => `${r.node}=${r.digest.slice(0, 60)}`).join('; '),
      });
  }
  return out;
}

/**
 * 2. No acknowledged add lost, unless a remove removed it: one that observed it or a write it
 * happened before.
 */
export function checkLostAdds(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const cart of byCart(input).keys()) {
    const final = input.carts.get(cart);
    const model = modelOf(input, cart);
    const live = new Set(final?.lines.flatMap((l) => l.ids.map((id) => `${l.productId}\u0000${id}`)) ?? []);
    for (const w of model.writes) {
      if (w.f !== 'add' || !model.definitelyLive(w) || w.writeId === undefined) continue;
      if (!live.has(`${w.productId}\u0000${w.writeId}`))
        out.push({
          checker: 'lostAdds',
          cart,
          productId: w.productId,
          detail: `op #${w.index} ${w.process} add ${w.productId} x${w.quantity} (${w.writeId}) acknowledged at ${w.completeAt?.toFixed(1)}ms, missing at the end`,
        });
    }
  }
  return out;
}

/**
 * 3. No resurrection: a write an acknowledged remove observed never comes back, and neither does
 * one in the causal past of a write it observed (same actor and an earlier counter, or seen by
 * a minter before, transitively): the remover's view already followed it. A write concurrent
 * with the remove is in neither and may stay (add-wins); so may a re-add, which has its own dot.
 */
export function checkResurrections(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const [cart, inspection] of input.carts) {
    const model = modelOf(input, cart);
    for (const line of inspection.lines)
      for (const id of line.ids) {
        const killer = model.removedBy(id, line.productId);
        if (killer === undefined) continue;
        const via = killer.observed?.includes(id) ? undefined : model.causal.via(killer, id);
        out.push({
          checker: 'resurrections',
          cart,
          productId: line.productId,
          detail:
            `${line.productId} (${id}) was removed by op #${killer.index} ${killer.process} ${killer.f} ` +
            `at ${killer.invokeAt.toFixed(1)}ms` +
            `${via === undefined ? '' : ` (which observed ${via}, causally after it)`} and is back`,
        });
      }
  }
  return out;
}

/**
 * 4. Read-your-writes: with strict quorums (PR + PW > N, so read and write sets of primaries
 * intersect), a client's read sees every write the same client had acknowledged before it.
 */
export function checkReadYourWrites(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const op of input.ops) {
    if (op.f !== 'read' || op.outcome !== 'ok' || op.quorum === undefined) continue;
    if (op.quorum.pr + op.quorum.pw <= input.n) continue;
    for (const id of op.unseenOwnWrites ?? [])
      out.push({
        checker: 'readYourWrites',
        cart: op.cart,
        detail: `op #${op.index} ${op.process} read missed own write ${id}`,
      });
  }
  return out;
}

/**
 * 5. Quantities match a model of the history: for each product, the final quantity lies between
 * the one implied by the writes that are surely live and the one implied by those possibly
 * live (quantity = winning set-quantity register + live increments, clamped).
 */
export function checkQuantities(input: CheckInput): Violation[] {
  const out: Violation[] = [];
  for (const cart of byCart(input).keys()) {
    const final = input.carts.get(cart);
    const model = modelOf(input, cart);
    const products = new Set<string>([
      ...model.writes.map((w) => w.productId ?? ''),
      ...(final?.lines.map((l) => l.productId) ?? []),
    ]);
    for (const productId of products) {
      const writes = model.writes.filter((w) => w.productId === productId);
      const possible = writes.filter((w) => model.possiblyLive(w));
      const sure = writes.filter((w) => model.definitelyLive(w));
      const sum = (ws: HistoryOp[]) =>
        ws.filter((w) => w.f === 'add').reduce((s, w) => s + (w.quantity ?? 0), 0);
      const regs = possible.filter((w) => w.f === 'setQuantity').map((w) => w.quantity ?? 0);
      const lowReg = sure.some((w) => w.f === 'setQuantity') ? Math.min(...regs) : 0;
      const highReg = regs.length > 0 ? Math.max(...regs) : 0;
      const low = Math.min(input.maxQuantity, sum(sure) + lowReg);
      const high = Math.min(input.maxQuantity, sum(possible) + highReg);
      const actual = final?.lines.find((l) => l.productId === productId)?.quantity ?? 0;
      if (actual < low || actual > high)
        out.push({
          checker: 'quantity',
          cart,
          productId,
          detail: `${productId}: quantity ${actual}, history allows ${low}..${high}`,
        });
    }
  }
  return out;
}

export function checkAll(input: CheckInput): Violation[] {
  return [
    ...checkConvergence(input),
    ...checkLostAdds(input),
    ...checkResurrections(input),
    ...checkReadYourWrites(input),
    ...checkQuantities(input),
  ];
}
