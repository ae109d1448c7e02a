/**
 * Reconnect delays: capped exponential back-off with jitter ("Exponential Backoff And Jitter",
 * AWS Architecture Blog, 2015). Jitter spreads the reconnect storm after a server restart, when
 * every device lost its socket at the same instant.
 */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. */
  readonly initialMs: number;
  /** Upper bound of any delay, in ms. */
  readonly maxMs: number;
  /** Growth per failed attempt (≥ 1). */
  readonly factor: number;
  /** Share of the delay that is randomised, in [0, 1]; 1 is "full jitter". */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000, factor: 2, jitter: 0.5 };

/** Delay before retry number `attempt` (0-based); `random` returns a float in [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new TypeError('attempt must be a non-negative integer');
  const { initialMs, maxMs, factor, jitter } = options;
  if (!(initialMs >= 0 && maxMs >= initialMs && factor >= 1 && jitter >= 0 && jitter <= 1)) {
    throw new TypeError('invalid back-off options');
  }
  // Math.min before the power would overflow: factor ** attempt grows without bound.
  const ceiling = Math.min(maxMs, initialMs * factor ** Math.min(attempt, 64));
  const r = random();
  const unit = r >= 0 && r < 1 ? r : 0;
  return Math.round(ceiling * (1 - jitter) + ceiling * jitter * unit);
}
