/**
 * Prometheus metrics (prom-client), one Registry per server instance so several nodes can run in
 * one process (tests) without clashing. Gauges and counters that mirror the replication core
 * (hint backlog, peers up, read repairs, AAE, forwards, hints, decode errors) are filled at scrape
 * time from `status()` instead of being pushed; quorum latency comes from its onRequest hook.
 * The metric list is documented in cart-server/docs/operations.md; ops/ holds the dashboard
 * and alert rules built on it.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the replication core reports at scrape time (`ReplicaNode.status()`, reduced). */
export interface ReplicationSample {
  /** Pending hinted-handoff entries, peers up/down, handoffs running. */
  readonly hintBacklog: number;
  readonly peersUp: number;
  readonly peersDown: number;
  readonly handoffs: number;
  /** Monotonic counters since the node started (`status().counters`). */
  readonly counters: {
    readonly readRepairs: number;
    readonly aaeExchanges: number;
    readonly aaeRepairs: number;
    readonly forwarded: number;
    readonly hintsRecorded: number;
    readonly hintsDelivered: number;
    readonly hintsDropped: number;
    readonly decodeErrors: number;
    readonly handoffItemsSent: number;
    readonly handoffsCompleted: number;
  };
}

export interface ReplicationGaugeSource {
  sample(): ReplicationSample;
}

/** Quorum request latency buckets (seconds): loopback quorums take ~1 ms, a timeout 3 s. */
const QUORUM_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly quorumFailures: Counter<'op'>;
  readonly wsConnections: Gauge<'kind'>;
  readonly wsMessages: Counter<'kind' | 'direction'>;
  readonly wsRejected: Counter<'kind' | 'reason'>;
  readonly clusterDropped: Counter<'reason'>;
  readonly cartOps: Counter<'op'>;
  readonly decodeFailures: Counter<'code'>;
  readonly quorumDuration: Histogram<'op' | 'outcome'>;
  private source: ReplicationGaugeSource | undefined;

  constructor(labels: { node: string }) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'cartwheel_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'cartwheel_http_request_duration_seconds',
      help: 'HTTP request latency by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.quorumFailures = new Counter({
      name: 'cartwheel_quorum_failures_total',
      help: 'Requests answered 503 because R or W replicas did not reply in time',
      labelNames: ['op'],
      registers,
    });
    this.wsConnections = new Gauge({
      name: 'cartwheel_ws_connections',
      help: 'Open WebSocket connections (sync = clients, cluster = peers)',
      labelNames: ['kind'],
      registers,
    });
    this.wsMessages = new Counter({
      name: 'cartwheel_ws_messages_total',
      help: 'WebSocket messages by kind and direction',
      labelNames: ['kind', 'direction'],
      registers,
    });
    this.wsRejected = new Counter({
      name: 'cartwheel_ws_rejected_total',
      help: 'WebSocket messages or connections refused (rate, size, auth, slow reader)',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.clusterDropped = new Counter({
      name: 'cartwheel_cluster_messages_dropped_total',
      help: 'Node-to-node messages dropped (peer down and queue full, back-pressure, too large)',
      labelNames: ['reason'],
      registers,
    });
    this.cartOps = new Counter({
      name: 'cartwheel_cart_operations_total',
      help: 'Acknowledged cart operations by kind',
      labelNames: ['op'],
      registers,
    });
    this.decodeFailures = new Counter({
      name: 'cartwheel_state_decode_failures_total',
      help: 'Stored or replicated cart states that failed to decode (the read that needed them failed)',
      labelNames: ['code'],
      registers,
    });
    this.quorumDuration = new Histogram({
      name: 'cartwheel_quorum_request_duration_seconds',
      help: 'Quorum requests of the replication core (op get = read, put = update or delta merge) by outcome',
      labelNames: ['op', 'outcome'],
      buckets: QUORUM_BUCKETS,
      registers,
    });
    type Sample = ReplicationSample;
    const source = () => this.source?.sample();
    const mirrors: [string, string, (s: Sample) => number][] = [
      [
        'cartwheel_hinted_handoff_backlog',
        'Hinted-handoff entries waiting for their owner',
        (s) => s.hintBacklog,
      ],
      ['cartwheel_peers_up', 'Cluster peers considered up', (s) => s.peersUp],
      ['cartwheel_peers_down', 'Cluster peers considered down', (s) => s.peersDown],
      ['cartwheel_handoffs_in_progress', 'Partition handoffs in progress', (s) => s.handoffs],
    ];
    for (const [name, help, pick] of mirrors) {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = source();
          if (s !== undefined) this.set(pick(s));
        },
      });
    }
    // The core counts in plain numbers (it has no metrics dependency); each scrape adds what it
    // counted since the last one, so these stay true Prometheus counters.
    type CounterKey = keyof Sample['counters'];
    const counters: [string, string, CounterKey][] = [
      ['cartwheel_read_repairs_total', 'Stale replicas repaired after a quorum read', 'readRepairs'],
      ['cartwheel_aae_exchanges_total', 'Active anti-entropy exchanges completed', 'aaeExchanges'],
      ['cartwheel_aae_repairs_total', 'Keys repaired by active anti-entropy', 'aaeRepairs'],
      ['cartwheel_forwarded_requests_total', 'Updates forwarded to a primary of the key', 'forwarded'],
      ['cartwheel_hints_recorded_total', 'Hints recorded for replicas that missed a write', 'hintsRecorded'],
      ['cartwheel_hints_delivered_total', 'Hints delivered to their replica', 'hintsDelivered'],
      ['cartwheel_hints_dropped_total', 'Hints dropped at the store bound', 'hintsDropped'],
      [
        'cartwheel_replication_decode_errors_total',
        'Node-to-node messages that failed to decode (dropped)',
        'decodeErrors',
      ],
      ['cartwheel_handoff_items_sent_total', 'Keys sent by partition handoff', 'handoffItemsSent'],
      ['cartwheel_handoffs_completed_total', 'Partition handoffs completed', 'handoffsCompleted'],
    ];
    for (const [name, help, key] of counters) {
      let seen = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const s = source();
          if (s === undefined) return;
          const now = s.counters[key];
          if (now > seen) this.inc(now - seen);
          seen = now;
        },
      });
    }
  }

  /** Times one quorum request of the replication core (the ReplicaNode's onRequest hook). */
  observeQuorum(op: 'get' | 'put', settled: Promise<unknown>): void {
    const start = performance.now();
    const done = (outcome: 'ok' | 'error') => () =>
      this.quorumDuration.observe({ op, outcome }, (performance.now() - start) / 1000);
    settled.then(done('ok'), done('error'));
  }

  /** Connects the replication gauges to the running node. */
  setReplicationSource(source: ReplicationGaugeSource): void {
    this.source = source;
  }
}
