/**
 * Token bucket (rate `perSecond`, capacity `burst`): the classic traffic-shaping limiter. One per
 * WebSocket connection (messages, and bytes) and one per HTTP keep-alive socket, so a single
 * hostile client is throttled without touching anyone else.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0) || !(burst >= 1))
      throw new TypeError('TokenBucket needs perSecond > 0 and burst ≥ 1');
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `cost` tokens (one by default); false, taking none, when the caller is over its rate. */
  take(cost = 1): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}
