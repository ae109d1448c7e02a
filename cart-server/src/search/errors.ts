/**
 * Search errors. Each class carries a stable `code` (listed in cart-server/docs/catalog.md) that
 * the HTTP layer maps to a status in one place, by the cart server's suffix rule
 * (`*_NOT_FOUND` → 404, `INVALID_*` → 400, `*_CONFLICT` → 409, `*_UNAVAILABLE` → 503).
 */
export class SearchError extends Error {
  readonly code: string;
  readonly details: unknown;
  constructor(code: string, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** A search query (terms, categories, price range, limit) failed validation. */
export class InvalidSearchQueryError extends SearchError {
  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super('INVALID_SEARCH_QUERY', message, options);
  }
}

/** A pagination cursor is malformed or belongs to another query or generation. */
export class InvalidCursorError extends SearchError {
  constructor(message: string) {
    super('INVALID_CURSOR', message);
  }
}

export class GenerationNotFoundError extends SearchError {
  constructor(id: string) {
    super('GENERATION_NOT_FOUND', `search generation ${JSON.stringify(id)} not found`);
  }
}

/** A rebuild is already running, the pointer moved under us, or there is nothing to roll back to. */
export class GenerationConflictError extends SearchError {
  constructor(message: string) {
    super('GENERATION_CONFLICT', message);
  }
}

/** The pointer store (Redis or LevelDB) could not be read or written. */
export class PointerUnavailableError extends SearchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('GENERATION_POINTER_UNAVAILABLE', message, options);
  }
}
