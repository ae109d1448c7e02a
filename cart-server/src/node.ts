/**
 * One cart-server node: LevelDB storage, the replication core, the WebSocket cluster transport,
 * the hono app and the WebSocket endpoints on one port. A single node is the same code with
 * members [self] (N, R, W clamped to 1) — one code path, not two.
 */
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type CartOp, type CartState, type Clock, cartType, ReplicaNode } from '@cartwheel/crdt';
import { serve } from '@hono/node-server';
import pino, { type Logger } from 'pino';
import { createApp, type SubAppMount } from './app.js';
import { createTokenVerifier, type TokenVerifier } from './auth/tokens.js';
import { createAdminCartRoutes } from './carts/admin-routes.js';
import { CartService } from './carts/cart-service.js';
import { withLineLimit } from './carts/line-limit.js';
import { observeDecodeFailures } from './carts/observe-decode.js';
import { AddressBook } from './cluster/address-book.js';
import { createClusterEndpoint } from './cluster/cluster-endpoint.js';
import { createMembershipRoutes } from './cluster/membership-routes.js';
import {
  ClusterMembership,
  type ClusterSettings,
  fetchClusterSettings,
  loadJoinedSettings,
  saveJoinedSettings,
} from './cluster/membership-service.js';
import { WsTransport } from './cluster/ws-transport.js';
import type { ServerConfig } from './config/config.js';
import { postgresCheck, redisCheck } from './ops/dependency-checks.js';
import { ServerMetrics } from './ops/metrics.js';
import { ReadinessProbe } from './ops/readiness.js';
import { LevelStorage } from './storage/level-storage.js';
import { createSyncEndpoint } from './sync/sync-endpoint.js';
import { attachUpgradeRoutes } from './ws/upgrade.js';

export interface PlatformContext {
  readonly config: ServerConfig;
  readonly carts: CartService;
  readonly storage: LevelStorage;
  readonly log: Logger;
  readonly metrics: ServerMetrics;
  /** The server's one token verifier (shared secret, plus the identity provider's keys). */
  readonly verifier: TokenVerifier;
}

export interface StartOptions {
  readonly log?: Logger;
  /**
   * Builds the catalog/search and orders sub-apps (SPEC §3). The mount point for the other
   * helpers' `createShopRoutes` / `createOrderRoutes` factories; see src/platform.ts.
   */
  readonly mounts?: (ctx: PlatformContext) => Promise<readonly SubAppMount[]> | readonly SubAppMount[];
  /** Closed after the HTTP server stops and before storage closes (catalog, order log...). */
  readonly onClose?: () => Promise<void>;
}

export interface CartServerNode {
  readonly url: string;
  readonly port: number;
  readonly config: ServerConfig;
  readonly replica: ReplicaNode<CartState, CartOp>;
  readonly carts: CartService;
  readonly membership: ClusterMembership;
  readonly log: Logger;
  /** Every route the HTTP app registered (method, hono path): what /openapi.json must describe. */
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  /**
   * The start of a graceful stop: /readyz answers 503 from now on while the node keeps serving,
   * so load balancers take it out before `close()` (the bin waits --shutdown-grace-ms between).
   */
  drain(): void;
  /** Graceful stop: refuse new work, drain in-flight requests, close sockets, flush and close LevelDB. */
  close(): Promise<void>;
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export async function startCartServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<CartServerNode> {
  const log = options.log ?? pino({ level: config.logLevel, base: { node: config.nodeId } });
  if (config.devSecret)
    log.warn('JWT_SECRET not set: using the public development secret (never in production)');
  const location = join(config.dataDir, config.nodeId);
  mkdirSync(location, { recursive: true });
  const storage = await LevelStorage.open({ location, fsync: config.fsync });
  const metrics = new ServerMetrics({ node: config.nodeId });
  let settings: ClusterSettings;
  try {
    settings = await clusterSettings(config, storage, log);
  } catch (err) {
    await storage.close();
    throw err;
  }

  const transport = new WsTransport({
    self: config.nodeId,
    peers: new Map(config.peers.map((p) => [p.id, p.url])),
    secret: config.jwtSecret,
    maxMessageBytes: Math.max(config.limits.maxWsPayloadBytes, 8 * 1024 * 1024),
    onDrop: (reason) => metrics.clusterDropped.inc({ reason }),
    onPeerState: (peer, up) => log.info({ peer, up }, up ? 'peer connected' : 'peer disconnected'),
  });
  // Membership is dynamic: peers that joined later are reached at the addresses the book learnt.
  const addresses = await AddressBook.open(
    storage,
    Object.fromEntries(config.peers.map((p) => [p.id, p.url])),
    (node, url) => transport.setPeer(node, url),
  );

  let carts: CartService | undefined;
  const replica = new ReplicaNode<CartState, CartOp>({
    id: config.nodeId,
    type: observeDecodeFailures(withLineLimit(cartType, config.limits.maxLinesPerCart), (err, byteLength) => {
      const code =
        typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'UNKNOWN';
      metrics.decodeFailures.inc({ code });
      log.error({ err, code, byteLength }, 'a stored or replicated cart state failed to decode');
    }),
    transport,
    clock: systemClock,
    random: { next: Math.random },
    storage,
    members: [config.nodeId, ...config.peers.map((p) => p.id)],
    config: {
      n: settings.n,
      r: settings.r,
      w: settings.w,
      ringSize: settings.ringSize,
      requestTimeoutMs: config.requestTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      failureTimeoutMs: config.failureTimeoutMs,
      handoffIntervalMs: config.handoffIntervalMs,
      aae: { intervalMs: config.aaeIntervalMs, maxKeysPerExchange: 256 },
    },
    onChange: (key, state, delta) => carts?.notifyChange(key, state, delta),
    onRequest: (op, settled) => metrics.observeQuorum(op, settled),
  });
  carts = new CartService(replica, {
    maxLinesPerCart: config.limits.maxLinesPerCart,
    onQuorumFailure: (op) => metrics.quorumFailures.inc({ op }),
    onOperation: (op) => metrics.cartOps.inc({ op }),
  });
  await replica.start();
  metrics.setReplicationSource({
    sample: () => {
      const s = replica.status();
      const peers = s.members.filter((m) => m.node !== config.nodeId);
      return {
        hintBacklog: s.hintBacklog,
        counters: s.counters,
        peersUp: peers.filter((m) => m.up).length,
        peersDown: peers.filter((m) => !m.up).length,
        handoffs: s.handoffs.length,
      };
    },
  });

  // Known once the server listens (port 0 picks one).
  let selfUrl = config.advertiseUrl ?? '';
  const membership = new ClusterMembership({
    replica,
    addresses,
    secret: config.jwtSecret,
    settings,
    selfUrl: () => selfUrl,
    log,
  });
  const adminRoutes = [createAdminCartRoutes(replica), createMembershipRoutes(membership)];

  let draining = false;
  let replicaRunning = true;
  const readiness = new ReadinessProbe({
    local: { storage: () => storage.isOpen, replica: () => replicaRunning },
    dependencies: [
      ...(config.redisUrl === undefined ? [] : [redisCheck(config.redisUrl)]),
      ...(config.databaseUrl === undefined ? [] : [postgresCheck(config.databaseUrl)]),
    ],
  });
  const verifier = createTokenVerifier(config);
  const ctx: PlatformContext = { config, carts, storage, log, metrics, verifier };
  const mounts = options.mounts === undefined ? [] : await options.mounts(ctx);
  const app = createApp({
    config,
    carts,
    storage,
    metrics,
    log,
    mounts,
    readiness: () => (draining ? { ready: false, checks: { draining: true } } : readiness.read()),
    adminRoutes,
    verifier,
    clusterStatus: () => ({ ...replica.status(), transport: { connectedPeers: transport.connectedPeers() } }),
  });

  // In-flight requests, so a graceful stop can wait for exactly those (not for idle keep-alives).
  let inflight = 0;
  const server = serve({
    fetch: async (req, env) => {
      inflight++;
      try {
        return await app.fetch(req, env);
      } finally {
        inflight--;
      }
    },
    port: config.port,
    hostname: config.host,
  }) as Server;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const sync = createSyncEndpoint({
    secret: config.jwtSecret,
    verifier,
    carts,
    accepting: () => !draining,
    limits: {
      messagesPerSecond: config.limits.wsMessagesPerSecond,
      bytesPerSecond: config.limits.wsBytesPerSecond,
      maxQueuedFrames: config.limits.maxQueuedWsFrames,
      maxSubscriptions: config.limits.maxSubscriptionsPerConnection,
      maxBufferedBytes: config.limits.maxWsBufferedBytes,
      maxPayloadBytes: config.limits.maxWsPayloadBytes,
    },
    hooks: {
      onConnection: (open) => metrics.wsConnections.inc({ kind: 'sync' }, open ? 1 : -1),
      onMessage: (direction) => metrics.wsMessages.inc({ kind: 'sync', direction }),
      onRejected: (reason) => metrics.wsRejected.inc({ kind: 'sync', reason }),
      onError: (err) => log.error({ err }, 'sync request failed'),
    },
  });
  const cluster = createClusterEndpoint({
    transport,
    secret: config.jwtSecret,
    // Any node of the ring (a removed one may still hand data back) or with a known address.
    members: { has: (node) => replica.currentRing().member(node) !== undefined || addresses.has(node) },
    maxPayloadBytes: Math.max(config.limits.maxWsPayloadBytes, 8 * 1024 * 1024),
    onConnection: (_peer, open) => metrics.wsConnections.inc({ kind: 'cluster' }, open ? 1 : -1),
    onPeerUrl: (peer, url) => {
      if (peer !== config.nodeId) addresses.set(peer, url);
    },
  });
  attachUpgradeRoutes(
    server,
    new Map([
      ['/v1/sync', sync.handler],
      ['/v1/cluster', cluster.handler],
    ]),
  );
  if (!server.listening) {
    try {
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([err]) => {
          throw err;
        }),
      ]);
    } catch (err) {
      // e.g. EADDRINUSE: release what started, so the caller gets the error and nothing keeps running.
      sync.close().catch(() => undefined);
      cluster.close();
      await replica.stop().catch(() => undefined);
      await transport.close().catch(() => undefined);
      await readiness.close();
      await storage.close().catch(() => undefined);
      throw err;
    }
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  selfUrl = config.advertiseUrl ?? reachableUrl(config.host, port);
  transport.advertise(selfUrl);
  addresses.set(config.nodeId, selfUrl);
  transport.start();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      readiness.drain();
      log.info('shutting down: draining requests');
      server.close();
      server.closeIdleConnections();
      await sync.close();
      log.debug('stopped: %s', 'sync');
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      // Adapters first: the order processor may still remove purchased lines from carts.
      await options.onClose?.();
      replicaRunning = false;
      await replica.stop();
      log.debug('stopped: %s', 'replica');
      await transport.close();
      log.debug('stopped: %s', 'transport');
      cluster.close();
      await readiness.close();
      await addresses.flushed();
      await storage.close();
      log.debug('stopped: %s', 'storage');
      log.info('shut down cleanly');
    })();
    return closing;
  };

  if (config.join !== undefined) {
    // The member calls back (/node, /adopt), so this runs once the server listens.
    try {
      await membership.joinVia(config.join, config.joinCommit);
    } catch (err) {
      log.error({ err, seed: config.join }, 'could not join the cluster');
      await close();
      throw err;
    }
  }
  log.info(
    {
      url,
      advertised: selfUrl,
      members: replica.currentRing().activeMembers(),
      n: settings.n,
      r: settings.r,
      w: settings.w,
    },
    'cart server listening',
  );

  const drain = (): void => {
    if (!readiness.isDraining) log.info('draining: /readyz answers 503, still serving');
    readiness.drain();
  };
  const routes = app.routes.map((r) => ({ method: r.method, path: r.path }));
  return { url, port, config, replica, carts, membership, log, routes, drain, close };
}

/** The URL peers reach this node at: a wildcard listen address is advertised as loopback. */
function reachableUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/**
 * The replication settings to run: those of the cluster this node joined (stored at its first
 * start with --join, so a restart keeps them), else the configured ones.
 */
async function clusterSettings(
  config: ServerConfig,
  storage: LevelStorage,
  log: Logger,
): Promise<ClusterSettings> {
  const joined = await loadJoinedSettings(storage);
  if (joined !== undefined) return joined;
  if (config.join === undefined) return { ringSize: config.ringSize, n: config.n, r: config.r, w: config.w };
  const settings = await fetchClusterSettings(config.join, config.jwtSecret, config.nodeId);
  await saveJoinedSettings(storage, settings);
  log.info({ seed: config.join, ...settings }, 'joining a cluster: using its replication settings');
  return settings;
}
