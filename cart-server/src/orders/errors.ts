/**
 * Typed errors of the orders subsystem. Every code maps to an HTTP status through the cart
 * server's single table (cart-server/src/http/errors.ts): `ApiError` computes the status from the
 * code, so the orders routes never pick statuses themselves.
 *
 * | code                     | status | when                                                      |
 * |--------------------------|--------|-----------------------------------------------------------|
 * | IDEMPOTENCY_KEY_INVALID  | 400    | `Idempotency-Key` missing or not 1–128 safe characters    |
 * | ORDER_INVALID            | 400    | malformed order / inventory request                        |
 * | VALIDATION_FAILED        | 400    | body fails its schema                                     |
 * | INVALID_JSON             | 400    | body is not JSON                                          |
 * | ORDER_NOT_FOUND          | 404    | unknown order, or another user's order                    |
 * | PRODUCT_NOT_FOUND        | 404    | a cart line or inventory update names an unknown product  |
 * | IDEMPOTENCY_CONFLICT     | 409    | a key reused for a different cart                         |
 * | CART_ALREADY_ORDERED     | 409    | another order already holds these cart lines (its id in details) |
 * | STOCK_OUT_OF_RANGE       | 409    | an adjustment would leave stock outside 0..MAX_STOCK       |
 * | OUT_OF_STOCK             | 409    | the catalog says a product is unavailable at checkout     |
 * | PRICE_CHANGED            | 409    | a cart line's price snapshot differs from the catalog     |
 * | ORDER_TOO_LARGE          | 413    | more lines than MAX_ORDER_LINES                           |
 * | EMPTY_CART               | 422    | nothing to buy                                            |
 * | ORDER_LOG_UNAVAILABLE    | 503    | the order log cannot accept the append                    |
 * | LOG_RECORD_TOO_LARGE     | 413    | a log record exceeds the log's record bound               |
 */
import { ApiError } from '../http/errors.js';

export type OrderErrorCode =
  | 'IDEMPOTENCY_KEY_INVALID'
  | 'ORDER_INVALID'
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'ORDER_NOT_FOUND'
  | 'PRODUCT_NOT_FOUND'
  | 'IDEMPOTENCY_CONFLICT'
  | 'CART_ALREADY_ORDERED'
  | 'STOCK_OUT_OF_RANGE'
  | 'OUT_OF_STOCK'
  | 'PRICE_CHANGED'
  | 'ORDER_TOO_LARGE'
  | 'EMPTY_CART'
  | 'ORDER_LOG_UNAVAILABLE';

/** An orders error meant for the client; `details` carries e.g. the offending lines. */
export class OrderError extends ApiError {
  declare readonly code: OrderErrorCode;
  constructor(code: OrderErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(code, message, options);
    this.name = 'OrderError';
  }
}

export type OrderLogErrorCode =
  | 'ORDER_LOG_UNAVAILABLE'
  | 'LOG_RECORD_TOO_LARGE'
  | 'ORDER_LOG_CLOSED'
  | 'CLAIM_CONFLICT'
  | 'FENCED';

/** A failure of an order log or processor state backend (LevelDB or Redis). */
export class OrderLogError extends Error {
  readonly code: OrderLogErrorCode;
  constructor(code: OrderLogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrderLogError';
    this.code = code;
  }
}
