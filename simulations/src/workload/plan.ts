import type { Prng } from '../sim/prng.js';
import type { SimCartOp } from '../stores/store.js';

export type ClientAction = SimCartOp | { readonly type: 'read' };

export interface PlannedClientOp {
  readonly gapMs: number;
  readonly cart: string;
  readonly action: ClientAction;
  readonly coordinator: number;
}

export interface PlannedDeviceOp {
  readonly at: number;
  readonly op: SimCartOp;
}

export interface DevicePlan {
  readonly cart: string;
  readonly actor: string;
  readonly ops: readonly PlannedDeviceOp[];
  /** Offline windows [start, end): no sync happens inside them. */
  readonly offline: ReadonlyArray<readonly [number, number]>;
  readonly syncEveryMs: number;
  readonly coordinators: readonly number[];
}

export interface OperationMix {
  readonly add: number;
  readonly setQuantity: number;
  readonly remove: number;
  readonly clear: number;
  readonly read: number;
}

export const DEFAULT_MIX: OperationMix = {
  add: 0.45,
  setQuantity: 0.12,
  remove: 0.2,
  clear: 0.03,
  read: 0.2,
};

export interface WorkloadOptions {
  readonly nodes: number;
  readonly carts: number;
  readonly productsPerCart: number;
  readonly clients: number;
  readonly devices: number;
  /** Operations per second per client. */
  readonly rate: number;
  readonly durationMs: number;
  readonly mix: OperationMix;
}

export interface WorkloadPlan {
  readonly clients: ReadonlyArray<readonly PlannedClientOp[]>;
  readonly devices: readonly DevicePlan[];
}

export function cartKey(i: number): string {
  return `user${i}/cart`;
}

function productId(i: number): string {
  return `sku-${String(i).padStart(3, '0')}`;
}

function drawOp(rng: Prng, o: WorkloadOptions, allowRead: boolean): ClientAction {
  const mix = o.mix;
  const total = mix.add + mix.setQuantity + mix.remove + mix.clear + (allowRead ? mix.read : 0);
  const x = rng.next() * total;
  const product = productId(rng.int(0, o.productsPerCart - 1));
  const edges = [mix.add, mix.setQuantity, mix.remove, mix.clear];
  let edge = 0;
  const below = (w: number): boolean => {
    edge += w;
    return x < edge;
  };
  if (below(edges[0] ?? 0)) return { type: 'add', productId: product, quantity: rng.int(1, 3) };
  if (below(edges[1] ?? 0)) return { type: 'setQuantity', productId: product, quantity: rng.int(1, 9) };
  if (below(edges[2] ?? 0)) return { type: 'remove', productId: product };
  if (below(edges[3] ?? 0)) return { type: 'clear' };
  return { type: 'read' };
}

function uuidFrom(rng: Prng): string {
  const hex = Array.from({ length: 4 }, () => rng.nextUint32().toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Draws the whole workload before the run starts (same plan for Cartwheel and the control). */
export function planWorkload(rng: Prng, o: WorkloadOptions): WorkloadPlan {
  const clients: PlannedClientOp[][] = [];
  for (let c = 0; c < o.clients; c++) {
    const ops: PlannedClientOp[] = [];
    let t = 0;
    while (t < o.durationMs) {
      const gapMs = rng.exp(1000 / o.rate);
      t += gapMs;
      ops.push({
        gapMs,
        cart: cartKey(rng.int(0, o.carts - 1)),
        action: drawOp(rng, o, true),
        coordinator: rng.int(0, o.nodes - 1),
      });
    }
    clients.push(ops);
  }
  const devices: DevicePlan[] = [];
  for (let d = 0; d < o.devices; d++) {
    const ops: PlannedDeviceOp[] = [];
    let t = 0;
    while (true) {
      t += rng.exp((2 * 1000) / o.rate);
      if (t >= o.durationMs) break;
      const op = drawOp(rng, o, false);
      if (op.type !== 'read') ops.push({ at: t, op });
    }
    const offline: Array<[number, number]> = [];
    let s = rng.next() * o.durationMs * 0.3;
    while (s < o.durationMs) {
      const e = Math.min(o.durationMs, s + 1_000 + rng.exp(o.durationMs / 5));
      offline.push([s, e]);
      s = e + 1_000 + rng.exp(o.durationMs / 5);
    }
    devices.push({
      cart: cartKey(rng.int(0, o.carts - 1)),
      actor: uuidFrom(rng),
      ops,
      offline,
      syncEveryMs: 500 + rng.next() * 2_000,
      coordinators: Array.from({ length: 16 }, () => rng.int(0, o.nodes - 1)),
    });
  }
  return { clients, devices };
}
