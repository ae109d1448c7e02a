/**
 * Prometheus metrics of the order path on a registry the server passes in. Orders/s is
 * `rate(cartwheel_orders_processed_total[1m])`; lag and outbox backlog are gauges computed when
 * scraped. Creating the metrics twice on one registry reuses the registered ones.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface OrderMetrics {
  checkout(result: 'accepted' | 'replayed' | 'refused'): void;
  /** A log record processed, by outcome (partition-task.ts RecordOutcome). */
  processed(outcome: string): void;
  rejection(reason: string): void;
  inventoryUpdate(outcome: 'applied' | 'refused'): void;
  confirmationSent(outcome: 'sent' | 'deduplicated'): void;
  /** A checkpoint refused because this node's lease on the partition is gone (FENCED). */
  fencedCommit(): void;
  /** Called at scrape time. */
  setLagSource(source: () => Promise<number>): void;
  setBacklogSource(source: () => number): void;
}

interface Sources {
  lag: () => Promise<number>;
  backlog: () => number;
}

/** Scrape-time sources per registry, so a second createOrderMetrics on one registry still works. */
const sourcesByRegistry = new WeakMap<Registry, Sources>();

function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function createOrderMetrics(registry: Registry): OrderMetrics {
  const registers = [registry];
  let sources = sourcesByRegistry.get(registry);
  if (sources === undefined) {
    sources = { lag: async () => 0, backlog: () => 0 };
    sourcesByRegistry.set(registry, sources);
  }
  const src = sources;
  const checkout = metric(
    registry,
    'cartwheel_orders_checkout_total',
    () =>
      new Counter({
        name: 'cartwheel_orders_checkout_total',
        help: 'Checkout requests',
        labelNames: ['result'],
        registers,
      }),
  );
  const processed = metric(
    registry,
    'cartwheel_orders_processed_total',
    () =>
      new Counter({
        name: 'cartwheel_orders_processed_total',
        help: 'Order log records processed by outcome (rate of confirmed+rejected = orders/s)',
        labelNames: ['outcome'],
        registers,
      }),
  );
  const rejections = metric(
    registry,
    'cartwheel_orders_rejections_total',
    () =>
      new Counter({
        name: 'cartwheel_orders_rejections_total',
        help: 'Rejected orders by reason',
        labelNames: ['reason'],
        registers,
      }),
  );
  const inventory = metric(
    registry,
    'cartwheel_inventory_updates_total',
    () =>
      new Counter({
        name: 'cartwheel_inventory_updates_total',
        help: 'Seller inventory updates',
        labelNames: ['outcome'],
        registers,
      }),
  );
  const sent = metric(
    registry,
    'cartwheel_orders_confirmations_total',
    () =>
      new Counter({
        name: 'cartwheel_orders_confirmations_total',
        help: 'Confirmation deliveries (deduplicated = the sink already had it)',
        labelNames: ['outcome'],
        registers,
      }),
  );
  const fenced = metric(
    registry,
    'cartwheel_orders_fenced_commits_total',
    () =>
      new Counter({
        name: 'cartwheel_orders_fenced_commits_total',
        help: 'Partition checkpoints refused because the lease had passed to another node (the processor was paused or cut off past its lease)',
        registers,
      }),
  );
  metric(
    registry,
    'cartwheel_orders_log_lag',
    () =>
      new Gauge({
        name: 'cartwheel_orders_log_lag',
        help: 'Records in the order log not yet checkpointed (all partitions)',
        registers,
        async collect() {
          this.set(await src.lag().catch(() => 0));
        },
      }),
  );
  metric(
    registry,
    'cartwheel_orders_outbox_backlog',
    () =>
      new Gauge({
        name: 'cartwheel_orders_outbox_backlog',
        help: 'Messages (confirmations, cart removals) waiting in the outboxes of the partitions this node owns',
        registers,
        collect() {
          this.set(src.backlog());
        },
      }),
  );
  return {
    checkout: (result) => checkout.inc({ result }),
    processed: (outcome) => processed.inc({ outcome }),
    rejection: (reason) => rejections.inc({ reason }),
    inventoryUpdate: (outcome) => inventory.inc({ outcome }),
    confirmationSent: (outcome) => sent.inc({ outcome }),
    fencedCommit: () => fenced.inc(),
    setLagSource: (source) => {
      src.lag = source;
    },
    setBacklogSource: (source) => {
      src.backlog = source;
    },
  };
}

/** Metrics that go nowhere (tests, the processor child process). */
export const noopOrderMetrics: OrderMetrics = {
  checkout: () => undefined,
  processed: () => undefined,
  rejection: () => undefined,
  inventoryUpdate: () => undefined,
  confirmationSent: () => undefined,
  fencedCommit: () => undefined,
  setLagSource: () => undefined,
  setBacklogSource: () => undefined,
};
