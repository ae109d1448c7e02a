/**
 * HTTP composition: `createApp(deps)` builds the one hono app every node serves. Cross-cutting
 * middleware (metrics, per-connection rate limit, body limit, error mapping) wraps everything;
 * the cart, device and ops routes are ours; the catalog/search and orders helpers' sub-apps are
 * mounted at /v1 through `deps.mounts` (SPEC §3) and share the same error handler and limits.
 */
import type { IncomingMessage } from 'node:http';
import type { Storage } from '@cartwheel/crdt';
import { Hono, type MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type AuthVariables, requireAuth } from './auth/middleware.js';
import type { TokenVerifier } from './auth/tokens.js';
import { createCartRoutes } from './carts/cart-routes.js';
import type { CartService } from './carts/cart-service.js';
import type { ServerConfig } from './config/config.js';
import { createDeviceRoutes } from './devices/device-routes.js';
import { boundedBody } from './http/body.js';
import { openApiDocument, type RouteContract, RouteTable } from './http/contract.js';
import { ApiError, createErrorHandler, handleNotFound } from './http/errors.js';
import { observeRequests } from './http/observe-requests.js';
import { mountStorefront } from './http/static-files.js';
import { TokenBucket } from './limits/token-bucket.js';
import type { ServerMetrics } from './ops/metrics.js';

// biome-ignore lint/suspicious/noExplicitAny: mounted tables declare their own Env; mounting ignores it.
type AnyEnv = any;

/** A platform sub-app (catalog, search, orders): its route table, mounted under `path`. */
export interface SubAppMount {
  readonly path: string;
  /** The routes and their contracts (http/contract.ts): /openapi.json is generated from them. */
  readonly routes: RouteTable<AnyEnv>;
}

const readinessSchema = z.object({ ready: z.boolean(), checks: z.record(z.string(), z.boolean()) });

const API_INFO = {
  title: 'Cartwheel cart server',
  version: '0.1.0',
  description:
    'Carts are CRDTs replicated over a Riak-style ring. Every cart belongs to the authenticated user: ' +
    '/v1/carts/{cartId} is always the caller\'s own cart. Errors are {"error":{"code","message","details"?}}.',
};

/** The WebSocket endpoints (upgraded by ws/upgrade.ts, not hono routes): documented here. */
const WEBSOCKET_CONTRACTS: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/v1/sync',
    summary:
      'WebSocket client sync (hello / welcome / delta / ack / error frames; see the sync-client README)',
    description:
      'Authenticate with `Sec-WebSocket-Protocol: bearer.<jwt>` (a device token: it carries the actor) or `?token=`.',
    tags: ['carts'],
    access: 'user',
    query: z.object({
      token: z.string().optional().describe('The bearer token, where a header cannot be set'),
    }),
    responses: { 101: { description: 'Switching protocols' } },
    errors: ['UNAUTHORIZED'],
  },
  {
    method: 'get',
    path: '/v1/cluster',
    summary: 'WebSocket replication transport between the nodes of a cluster (binary batch frames)',
    tags: ['cluster'],
    access: 'cluster',
    responses: { 101: { description: 'Switching protocols' } },
  },
];

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, boolean>>;
}

export interface AppDeps {
  readonly config: ServerConfig;
  readonly carts: CartService;
  readonly storage: Storage;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  /** May ping dependencies (cached by the caller); /readyz awaits it. */
  readonly readiness: () => Readiness | Promise<Readiness>;
  /** The one token verifier (shared secret, plus --jwks-url); default: the secret alone. */
  readonly verifier?: TokenVerifier;
  readonly clusterStatus: () => unknown;
  /** Admin-only route tables (local replica inspection, membership), mounted at /v1 behind auth. */
  readonly adminRoutes?: readonly RouteTable<AnyEnv>[];
  readonly mounts?: readonly SubAppMount[];
  /** HTTP requests per second per keep-alive connection (burst 2×); 0 disables. */
  readonly httpRequestsPerSecondPerConnection?: number;
}

type Bindings = { incoming: IncomingMessage };
export type AppEnv = { Bindings: Bindings; Variables: AuthVariables };

/**
 * One token bucket per TCP connection (keyed on the socket): a hostile client hammering one
 * keep-alive connection is throttled with 429 without touching anyone else.
 */
function connectionRateLimit(perSecond: number): MiddlewareHandler<AppEnv> {
  const buckets = new WeakMap<object, TokenBucket>();
  return async (c, next) => {
    const socket = c.env?.incoming?.socket;
    if (socket !== undefined) {
      let bucket = buckets.get(socket);
      if (bucket === undefined) {
        bucket = new TokenBucket(perSecond, perSecond * 2);
        buckets.set(socket, bucket);
      }
      if (!bucket.take()) throw new ApiError('RATE_LIMITED', 'too many requests on this connection');
    }
    await next();
  };
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config, metrics, log } = deps;
  const app = new Hono<AppEnv>();
  app.onError(
    createErrorHandler((err, e) => {
      if (e.code === 'QUORUM_NOT_MET') log.warn({ err }, 'quorum not met');
      else log.error({ err, code: e.code }, 'request failed');
    }),
  );
  app.notFound(handleNotFound);

  app.use('*', observeRequests({ metrics, log, accessLog: config.accessLog }));
  const rate = deps.httpRequestsPerSecondPerConnection ?? 2000;
  if (rate > 0) app.use('/v1/*', connectionRateLimit(rate));
  // Our routes' body bound; the sub-apps bound their own (a catalog import is large by design).
  const limitBody = boundedBody(config.limits.maxBodyBytes);
  app.use('/v1/carts/*', limitBody);
  app.use('/v1/devices', limitBody);

  // ---- operations (no auth: probes and scrapers)
  const ops = new RouteTable(new Hono<AppEnv>());
  const opsTags = ['operations'];
  ops.on(
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process answers',
      tags: opsTags,
      access: 'public',
      responses: {
        200: { description: 'Alive', schema: z.object({ status: z.literal('ok'), node: z.string() }) },
      },
    },
    (c) => c.json({ status: 'ok' as const, node: config.nodeId }),
  );
  ops.on(
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: storage, replica and dependencies; 503 while draining after SIGTERM',
      tags: opsTags,
      access: 'public',
      responses: {
        200: { description: 'Ready', schema: readinessSchema },
        503: { description: 'Not ready (the failing checks are false)', schema: readinessSchema },
      },
    },
    async (c) => {
      const r = await deps.readiness();
      return c.json({ ready: r.ready, checks: r.checks }, r.ready ? 200 : 503);
    },
  );
  ops.on(
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tags: opsTags,
      access: 'public',
      responses: { 200: { description: 'Metrics', schema: z.string(), contentType: 'text/plain' } },
    },
    async (c) => {
      c.header('content-type', metrics.registry.contentType);
      return c.body(await metrics.registry.metrics());
    },
  );
  ops.on(
    {
      method: 'get',
      path: '/v1/cluster/status',
      summary: "This node's replication status: ring, peers, hints, anti-entropy, request counters",
      tags: ['cluster'],
      access: 'public',
      responses: { 200: { description: 'Status', schema: z.looseObject({}).describe('ReplicaStatus') } },
    },
    (c) => c.json(deps.clusterStatus() as object),
  );
  const openapiRoute: RouteContract = {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document (generated from the route contracts)',
    tags: opsTags,
    access: 'public',
    responses: { 200: { description: 'OpenAPI 3.1', schema: z.looseObject({}) } },
  };
  app.route('/', ops.app);

  // ---- carts and devices: always the authenticated user's own
  const auth = requireAuth(deps.verifier ?? config.jwtSecret);
  app.use('/v1/carts/*', auth);
  app.use('/v1/devices', auth);
  app.use('/v1/admin/*', auth);
  // The server's own admin routes; a sub-app's admin routes (catalog import, promote) read and
  // bound their bodies themselves — read here, their stream would already be consumed.
  app.use('/v1/admin/cluster/*', limitBody);
  app.use('/v1/admin/carts/*', limitBody);
  const tables: { prefix: string; table: RouteTable<AnyEnv> }[] = [
    ...(deps.adminRoutes ?? []).map((table) => ({ prefix: '/v1', table })),
    { prefix: '/v1', table: createCartRoutes(deps.carts) },
    { prefix: '/v1', table: createDeviceRoutes({ storage: deps.storage, secret: config.jwtSecret }) },
    // ---- sub-apps of the platform (catalog/search at /v1, orders at /v1)
    ...(deps.mounts ?? []).map((m) => ({ prefix: m.path, table: m.routes })),
  ];
  for (const { prefix, table } of tables) app.route(prefix, table.app);

  const openapi = openApiDocument(
    [
      { prefix: '', contracts: [...ops.contracts, openapiRoute, ...WEBSOCKET_CONTRACTS] },
      ...tables.map(({ prefix, table }) => ({ prefix, contracts: table.contracts })),
    ],
    API_INFO,
  );
  app.get('/openapi.json', (c) => c.json(openapi));

  // ---- storefront (static files built by sync-client), when present: http/static-files.ts
  mountStorefront(app, config.storefrontDir);
  return app;
}
