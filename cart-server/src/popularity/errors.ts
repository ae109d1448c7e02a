/**
 * Popularity errors. Each class carries a stable `code` (listed in cart-server/docs/catalog.md)
 * that the HTTP layer maps to a status by the cart server's suffix rule (`*_CONFLICT` → 409,
 * `*_UNAVAILABLE` → 503).
 */
export class PopularityError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** The shared counters or ranking (Redis) could not be reached; counts stay in the node's outbox. */
export class PopularityUnavailableError extends PopularityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('POPULARITY_UNAVAILABLE', message, options);
  }
}

/** Another node holds the ranking lease (the ranking job runs once per cluster at a time). */
export class RankingConflictError extends PopularityError {
  constructor(message: string) {
    super('RANKING_CONFLICT', message);
  }
}
