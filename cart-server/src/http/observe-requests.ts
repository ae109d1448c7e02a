/**
 * The first middleware of every request: gives it a request id, then, once it is answered, counts
 * it in the HTTP metrics and writes one JSON access-log line.
 *
 * Request ids: a sane incoming `x-request-id` (a proxy's) is kept, else one is generated; either
 * way it is echoed in the response. A W3C `traceparent` (Trace Context §3.2) is logged and echoed
 * unchanged, so the line joins the caller's trace; the server starts no spans of its own.
 *
 * Route labels come from `routePath(c)`: the pattern of the handler that answered (the route
 * index hono leaves on the request once the chain unwinds), not the last pattern that matched —
 * with the storefront's catch-all mounted, that one is `/*` for every request.
 */
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import type { ServerMetrics } from '../ops/metrics.js';

export const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID = /^[A-Za-z0-9._:@+/=-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export interface ObserveRequestsOptions {
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  /** One access-log line per request (default true). */
  readonly accessLog?: boolean;
}

/** The metric label of the answered request: its route pattern, `static` or `unmatched`. */
export function routeLabel(c: Context): string {
  let route = '';
  try {
    route = routePath(c);
  } catch {
    // no matched route
  }
  if (route === '' || ((route === '*' || route.endsWith('/*')) && c.res.status === 404)) return 'unmatched';
  if (route === '/*' || route === '*') return 'static';
  return route;
}

export function observeRequests(options: ObserveRequestsOptions): MiddlewareHandler {
  const { metrics, log } = options;
  const accessLog = options.accessLog ?? true;
  return async (c, next) => {
    const start = performance.now();
    const incoming = c.req.header(REQUEST_ID_HEADER);
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const traceparent = c.req.header('traceparent');
    const traced = traceparent !== undefined && TRACEPARENT.test(traceparent) ? traceparent : undefined;
    // Set before the handler runs: prepared headers join whatever response it builds.
    c.header(REQUEST_ID_HEADER, requestId);
    if (traced !== undefined) c.header('traceparent', traced);
    try {
      await next();
    } finally {
      const route = routeLabel(c);
      const status = c.res.status;
      const seconds = (performance.now() - start) / 1000;
      metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
      metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
      if (accessLog) {
        log.info(
          {
            reqId: requestId,
            ...(traced === undefined ? {} : { traceparent: traced }),
            method: c.req.method,
            path: c.req.path,
            route,
            status,
            ms: Math.round(seconds * 1e4) / 10,
          },
          'request',
        );
      }
    }
  };
}
