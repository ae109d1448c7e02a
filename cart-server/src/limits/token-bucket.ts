/**
 * Token bucket (rate `perSecond`, capacity `burst`): the classic traffic-shaping limiter. One per
 * WebSocket connection and one per HTTP keep-alive socket, so a single hostile client is throttled
 * without touching anyone else.
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

  /** Takes one token; false when the caller is over its rate. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
