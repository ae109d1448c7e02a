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
import { type AuthVariables, requireAuth } from './auth/middleware.js';
import type { TokenVerifier } from './auth/tokens.js';
import { createCartRoutes } from './carts/cart-routes.js';
import type { CartService } from './carts/cart-service.js';
import type { ServerConfig } from './config/config.js';
import { createDeviceRoutes } from './devices/device-routes.js';
import { boundedBody } from './http/body.js';
import type { RouteContract, RouteTable } from './http/contract.js';
import { ApiError, createErrorHandler, handleNotFound } from './http/errors.js';
import { observeRequests } from './http/observe-requests.js';
import { openApiDocument } from './http/openapi.js';
import { mountStorefront } from './http/static-files.js';
import { TokenBucket } from './limits/token-bucket.js';
import type { ServerMetrics } from './ops/metrics.js';

/** A sub-app another helper builds (catalog, search, orders), mounted under `path`. */
export interface SubAppMount {
  readonly path: string;
  // biome-ignore lint/suspicious/noExplicitAny: sub-apps declare their own Env; mounting ignores it.
  readonly app: Hono<any>;
  /** OpenAPI `paths` the sub-app serves (merged into /openapi.json). */
  readonly openApiPaths?: Record<string, unknown>;
  /** The contracts of the sub-app's routes (http/contract.ts): /openapi.json is generated from them. */
  readonly contracts?: readonly RouteContract[];
}

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
  // biome-ignore lint/suspicious/noExplicitAny: mounted sub-apps; their Env is their own.
  readonly adminRoutes?: readonly RouteTable<any>[];
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
  app.get('/healthz', (c) => c.json({ status: 'ok', node: config.nodeId }));
  app.get('/readyz', async (c) => {
    const r = await deps.readiness();
    return c.json({ ready: r.ready, checks: r.checks }, r.ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    c.header('content-type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
  const extraPaths = Object.assign({}, ...(deps.mounts ?? []).map((m) => m.openApiPaths ?? {}));
  const openapi = openApiDocument(extraPaths, [
    ...(deps.adminRoutes ?? []).map((t) => ({ prefix: '/v1', contracts: t.contracts })),
    ...(deps.mounts ?? []).map((m) => ({ prefix: m.path, contracts: m.contracts ?? [] })),
  ]);
  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/v1/cluster/status', (c) => c.json(deps.clusterStatus() as object));

  // ---- carts and devices: always the authenticated user's own
  const auth = requireAuth(deps.verifier ?? config.jwtSecret);
  app.use('/v1/carts/*', auth);
  app.use('/v1/devices', auth);
  app.use('/v1/admin/*', auth);
  // The server's own admin routes; a sub-app's admin routes (catalog import, promote) read and
  // bound their bodies themselves — read here, their stream would already be consumed.
  app.use('/v1/admin/cluster/*', limitBody);
  app.use('/v1/admin/carts/*', limitBody);
  for (const table of deps.adminRoutes ?? []) app.route('/v1', table.app);
  app.route('/v1', createCartRoutes(deps.carts));
  app.route('/v1', createDeviceRoutes({ storage: deps.storage, secret: config.jwtSecret }));

  // ---- sub-apps of the other helpers (catalog/search at /v1, orders at /v1): SPEC §3
  for (const m of deps.mounts ?? []) app.route(m.path, m.app);

  // ---- storefront (static files built by sync-client), when present: http/static-files.ts
  mountStorefront(app, config.storefrontDir);
  return app;
}
