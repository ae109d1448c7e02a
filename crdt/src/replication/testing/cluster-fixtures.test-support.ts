// Shared settings for the cluster tests (virtual time, so short intervals cost nothing).
export const FAST = {
  heartbeatIntervalMs: 100,
  failureTimeoutMs: 500,
  requestTimeoutMs: 1_000,
  handoffIntervalMs: 200,
  aae: { intervalMs: 200, maxKeysPerExchange: 64 },
};

/** The same, with anti-entropy effectively off (to test another mechanism in isolation). */
export const NO_AAE = {
  ...FAST,
  aae: { intervalMs: 86_400_000, maxKeysPerExchange: 64, catchUpExchangesPerSecond: 0 },
};
