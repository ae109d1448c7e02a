/**
 * Prometheus metrics (prom-client), one Registry per server instance so several nodes can run in
 * one process (tests) without clashing. Gauges that mirror the replication core (hint backlog,
 * AAE repairs, peers up) are filled at scrape time from `status()` instead of being pushed.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface ReplicationGaugeSource {
  /** Pending hinted-handoff entries, anti-entropy repairs so far, peers up/down, handoffs running. */
  sample(): { hintBacklog: number; aaeRepairs: number; peersUp: number; peersDown: number; handoffs: number };
}

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
    type Sample = ReturnType<ReplicationGaugeSource['sample']>;
    const mirrors: [string, string, (s: Sample) => number][] = [
      [
        'cartwheel_hinted_handoff_backlog',
        'Hinted-handoff entries waiting for their owner',
        (s) => s.hintBacklog,
      ],
      ['cartwheel_aae_repairs', 'Keys repaired by active anti-entropy since start', (s) => s.aaeRepairs],
      ['cartwheel_peers_up', 'Cluster peers considered up', (s) => s.peersUp],
      ['cartwheel_peers_down', 'Cluster peers considered down', (s) => s.peersDown],
      ['cartwheel_handoffs_in_progress', 'Partition handoffs in progress', (s) => s.handoffs],
    ];
    const source = () => this.source;
    for (const [name, help, pick] of mirrors) {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = source()?.sample();
          if (s !== undefined) this.set(pick(s));
        },
      });
    }
  }

  /** Connects the replication gauges to the running node. */
  setReplicationSource(source: ReplicationGaugeSource): void {
    this.source = source;
  }
}
