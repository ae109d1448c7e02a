/**
 * A small hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014) for the `now`
 * the core passes to ReplicatedType.apply: physical milliseconds * 2^12 + a logical counter, so
 * it never runs backwards even when the injected wall clock does.
 */
const LOGICAL_BITS = 4096;

export class HybridClock {
  private last = 0;
  constructor(private readonly wall: () => number) {}

  now(): number {
    const physical = Math.max(0, Math.floor(this.wall())) * LOGICAL_BITS;
    this.last = physical > this.last ? physical : this.last + 1;
    return this.last;
  }

  /** Moves the clock past a timestamp seen elsewhere. */
  observe(remote: number): void {
    if (Number.isSafeInteger(remote) && remote > this.last) this.last = remote;
  }
}
