import type { History, HistoryOp } from '../history/history.js';
import type { SimCluster } from '../run/cluster.js';
import type { DeviceReplica, QuorumOptions, StoreNode } from '../stores/store.js';
import type { DevicePlan } from './plan.js';
import { sleep, withDeadline } from './sleep.js';

export interface DeviceContext<N extends StoreNode> {
  readonly cluster: SimCluster<N>;
  readonly history: History;
  readonly quorum: QuorumOptions;
  readonly stopAt: number;
  readonly clientTimeoutMs: number;
}

/**
 * An offline-capable device: local operations apply at once (they are `unknown` to the checkers
 * until a sync that includes them is acknowledged), syncs happen only while online. After
 * `stopAt` the device keeps trying to sync until everything it did is acknowledged.
 */
export class DeviceRunner<N extends StoreNode> {
  private readonly unsynced: HistoryOp[] = [];
  private syncs = 0;
  done = false;

  constructor(
    private readonly ctx: DeviceContext<N>,
    private readonly plan: DevicePlan,
    private readonly replica: DeviceReplica<N>,
  ) {}

  get pending(): number {
    return this.unsynced.length;
  }

  async run(): Promise<void> {
    const { cluster, history } = this.ctx;
    const sim = cluster.sim;
    const localOps = (async () => {
      for (const planned of this.plan.ops) {
        if (planned.at > sim.now) await sleep(sim, planned.at - sim.now);
        const op = history.invoke(sim.now, {
          process: `device-${this.replica.actor.slice(0, 8)}`,
          cart: this.plan.cart,
          f: planned.op.type,
          productId: 'productId' in planned.op ? planned.op.productId : undefined,
          quantity: 'quantity' in planned.op ? planned.op.quantity : undefined,
          coordinator: undefined,
          quorum: this.ctx.quorum,
          device: true,
        });
        const outcome = this.replica.apply(planned.op);
        op.writeId = outcome.writeId;
        op.observed = outcome.observed;
        op.causal = outcome.causal;
        this.unsynced.push(op);
      }
    })();
    for (;;) {
      await sleep(sim, this.plan.syncEveryMs);
      const now = sim.now;
      if (now < this.ctx.stopAt && this.plan.offline.some(([s, e]) => now >= s && now < e)) continue;
      if (now >= this.ctx.stopAt && this.unsynced.length === 0) break;
      await this.syncOnce();
    }
    await localOps;
    this.done = true;
  }

  private async syncOnce(): Promise<void> {
    const { cluster, history } = this.ctx;
    const sim = cluster.sim;
    const coordinator = cluster.ids[
      this.plan.coordinators[this.syncs++ % this.plan.coordinators.length] ?? 0
    ] as string;
    const including = [...this.unsynced];
    const call = cluster.call(coordinator, (node) => this.replica.sync(node, this.ctx.quorum));
    if (call === undefined) return;
    const result = await withDeadline(sim, this.ctx.clientTimeoutMs, call);
    if (result === undefined || 'error' in result) return;
    for (const op of including) history.complete(op, sim.now, 'ok');
    this.unsynced.splice(0, including.length);
  }
}
