/**
 * The one place where error codes become HTTP statuses. Every sub-app (carts, catalog, search,
 * orders) throws errors carrying a stable `code` string and mounts `handleError` (via `createApp`)
 * so that clients always get `{ "error": { "code", "message" } }` with a predictable status.
 *
 * Codes not listed in ERROR_STATUS fall back to a suffix rule (`*_NOT_FOUND` → 404, `*_CONFLICT`
 * → 409, `*_UNAVAILABLE` → 503, `INVALID_*`/`*_INVALID` → 400, `*_FORBIDDEN` → 403,
 * `*_TOO_LARGE` → 413), then to 500, so a new code never silently becomes a 200.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Stable error codes → HTTP status. Documented in cart-server/README.md (error-code table). */
export const ERROR_STATUS: Readonly<Record<string, ContentfulStatusCode>> = {
  // 400: the request is malformed or fails validation
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  VALIDATION_FAILED: 400,
  CRDT_DECODE_ERROR: 400,
  CRDT_INVALID_OP: 400,
  REPLICATION_BAD_REQUEST: 400,
  // a staged change that leads to no valid ring (e.g. the last member leaving)
  MEMBERSHIP_INVALID: 400,
  INVALID_QUANTITY: 400,
  CART_TOO_LARGE: 400,
  // 401/403: authentication and authorization
  UNAUTHORIZED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  FORBIDDEN_DOTS: 403,
  DEVICE_REQUIRED: 403,
  ROLE_REQUIRED: 403,
  // 404
  NOT_FOUND: 404,
  CART_NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  // 405, 409, 413, 415, 422, 429
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  IDEMPOTENCY_CONFLICT: 409,
  CART_ALREADY_ORDERED: 409,
  STOCK_OUT_OF_RANGE: 409,
  // membership: a join the cluster cannot take (settings, node id, another ring), nothing to commit
  MEMBERSHIP_CONFLICT: 409,
  NOTHING_STAGED: 409,
  // a delta whose causal past the cart lacks: sync from the cart's context (hello) and resend
  CRDT_CAUSAL_GAP: 409,
  OUT_OF_STOCK: 409,
  INSUFFICIENT_STOCK: 409,
  PRICE_CHANGED: 409,
  PAYLOAD_TOO_LARGE: 413,
  DELTA_TOO_LARGE: 413,
  CRDT_LIMIT_EXCEEDED: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  EMPTY_CART: 422,
  RATE_LIMITED: 429,
  // 5xx: the server or the cluster cannot serve the request right now
  INTERNAL: 500,
  CART_UNREADABLE: 500,
  // another node (a join's peer) could not be reached or timed out
  PEER_UNREACHABLE: 502,
  QUORUM_NOT_MET: 503,
  REPLICATION_STOPPED: 503,
  REPLICATION_STORAGE_ERROR: 503,
  TIMEOUT: 503,
  NOT_READY: 503,
  SHUTTING_DOWN: 503,
  SERVICE_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  REDIS_UNAVAILABLE: 503,
};

/** Maps any error code to an HTTP status (table first, then the suffix rule, then 500). */
export function statusForCode(code: string): ContentfulStatusCode {
  const known = ERROR_STATUS[code];
  if (known !== undefined) return known;
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code.endsWith('_CONFLICT')) return 409;
  if (code.endsWith('_UNAVAILABLE')) return 503;
  if (code.endsWith('_FORBIDDEN')) return 403;
  if (code.endsWith('_TOO_LARGE')) return 413;
  if (code.startsWith('INVALID_') || code.endsWith('_INVALID')) return 400;
  return 500;
}

/** An error meant for the client: its `code` picks the status, its message is shown as-is. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: ContentfulStatusCode;
  readonly details: unknown;
  constructor(code: string, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.status = statusForCode(code);
    this.details = options?.details;
  }
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** Normalised view of any thrown value: stable code, status, client-safe message. */
export interface ClassifiedError {
  readonly code: string;
  readonly status: ContentfulStatusCode;
  readonly message: string;
  readonly details?: unknown;
}

const HTTP_EXCEPTION_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

function hasCode(err: unknown): err is Error & { code: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** Node system errors (ECONNRESET, ERR_STREAM_...) are internals, not API codes. */
function isApiCode(code: string): boolean {
  return /^[A-Z][A-Z0-9_]+$/.test(code) && !/^E[A-Z]+$/.test(code) && !code.startsWith('ERR_');
}

/**
 * Classifies a thrown value. Errors with a stable upper-case `code` (ApiError, CrdtError,
 * QuorumError, the catalog's and orders' errors) keep it; hono's HTTPException (jwt, bodyLimit)
 * maps by status; a zod error is VALIDATION_FAILED; anything else is INTERNAL with a generic
 * message so internals never leak.
 */
export function classifyError(err: unknown): ClassifiedError {
  if (err instanceof ApiError) {
    return { code: err.code, status: err.status, message: err.message, details: err.details };
  }
  if (err instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[err.status] ?? (err.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
    const message = err.status === 401 ? 'missing or invalid bearer token' : err.message || code;
    return { code, status: statusForCode(code), message };
  }
  if (err instanceof Error && err.name === 'ZodError') {
    return { code: 'VALIDATION_FAILED', status: 400, message: 'request failed validation' };
  }
  if (hasCode(err) && isApiCode(err.code)) {
    const status = statusForCode(err.code);
    // Unexpected 500s keep their code but not their message (it may describe internals).
    return { code: err.code, status, message: status === 500 ? 'internal error' : err.message };
  }
  return { code: 'INTERNAL', status: 500, message: 'internal error' };
}

/**
 * Builds a hono `onError` handler. `onServerError` sees every 5xx (the server logs them with pino);
 * 4xx are the client's problem and are not logged as errors.
 */
export function createErrorHandler(
  onServerError?: (err: unknown, classified: ClassifiedError) => void,
): (err: unknown, c: Context) => Response {
  return (err, c) => {
    const e = classifyError(err);
    if (e.status >= 500) onServerError?.(err, e);
    if (e.code === 'RATE_LIMITED') c.header('retry-after', '1');
    return c.json(errorBody(e.code, e.message, e.details), e.status);
  };
}

/** hono `onError` handler without logging (sub-apps tested on their own can use it). */
export const handleError = createErrorHandler();

/** hono `notFound` handler. */
export function handleNotFound(c: Context): Response {
  return c.json(errorBody('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404);
}
