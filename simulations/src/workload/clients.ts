import type { History, HistoryOp } from '../history/history.js';
import type { SimCluster } from '../run/cluster.js';
import type { QuorumOptions, StoreNode } from '../stores/store.js';
import type { PlannedClientOp } from './plan.js';
import { sleep, withDeadline } from './sleep.js';

export interface ClientContext<N extends StoreNode> {
  readonly cluster: SimCluster<N>;
  readonly history: History;
  readonly quorum: QuorumOptions;
  /** Virtual time at which clients stop issuing operations. */
  readonly stopAt: number;
  /** Client-side deadline per request (a hung coordinator makes the outcome unknown). */
  readonly clientTimeoutMs: number;
  readonly onVersions: (versions: number) => void;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${(err as { code?: string }).code ?? err.name}: ${err.message}`;
  return String(err);
}

/**
 * A stateless client (an HTTP caller): one request at a time, each to a coordinator drawn in
 * the plan. A refused connection is a definite failure; an error or a timeout after the
 * request reached a coordinator is indeterminate (the write may have been applied).
 */
export async function runClient<N extends StoreNode>(
  ctx: ClientContext<N>,
  name: string,
  plan: readonly PlannedClientOp[],
): Promise<void> {
  const { cluster, history, quorum } = ctx;
  const sim = cluster.sim;
  const acked = new Map<string, string[]>(); // cart → own acknowledged write ids
  for (const step of plan) {
    await sleep(sim, step.gapMs);
    if (sim.now >= ctx.stopAt) return;
    const coordinator = cluster.ids[step.coordinator] as string;
    const action = step.action;
    const op: HistoryOp = history.invoke(sim.now, {
      process: name,
      cart: step.cart,
      f: action.type,
      productId: 'productId' in action ? action.productId : undefined,
      quantity: 'quantity' in action ? action.quantity : undefined,
      coordinator,
      quorum,
      device: false,
    });
    if (action.type === 'read') {
      const before = [...(acked.get(step.cart) ?? [])];
      const call = cluster.call(coordinator, (node) => node.read(step.cart, quorum));
      if (call === undefined) {
        history.complete(op, sim.now, 'fail', 'connection refused');
        continue;
      }
      const result = await withDeadline(sim, ctx.clientTimeoutMs, call);
      if (result === undefined) history.complete(op, sim.now, 'unknown', 'client timeout');
      else if ('error' in result) history.complete(op, sim.now, 'fail', errorText(result.error));
      else {
        const read = result.value;
        op.readLines = read.lines;
        op.versions = read.versions;
        op.unseenOwnWrites = before.filter((id) => !read.seen(id));
        ctx.onVersions(read.versions);
        history.complete(op, sim.now, 'ok');
      }
      continue;
    }
    const call = cluster.call(coordinator, (node) => node.update(step.cart, action, quorum));
    if (call === undefined) {
      history.complete(op, sim.now, 'fail', 'connection refused');
      continue;
    }
    const result = await withDeadline(sim, ctx.clientTimeoutMs, call);
    if (result === undefined) history.complete(op, sim.now, 'unknown', 'client timeout');
    else if ('error' in result) {
      const error = result.error;
      const settled = cluster.call(coordinator, async (node) => node.settledBy(error));
      if (settled !== undefined && (await settled)) op.effectBy = sim.now;
      history.complete(op, sim.now, 'unknown', errorText(error));
    } else {
      op.effectBy = sim.now;
      op.writeId = result.value.writeId;
      op.observed = result.value.observed;
      op.causal = result.value.causal;
      history.complete(op, sim.now, 'ok');
      if (op.writeId !== undefined) {
        const list = acked.get(step.cart) ?? [];
        list.push(op.writeId);
        acked.set(step.cart, list);
      }
    }
  }
}
