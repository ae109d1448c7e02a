/**
 * Virtual time for tests and simulations: timers fire only when `advance` moves time past them,
 * in (time, creation) order, and every pending promise settles between two timers. Scopes give
 * each node incarnation its own timers so a "crashed" node can be silenced at once.
 */
import type { Clock, TimerHandle } from '../interfaces.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Lets every queued promise continuation (and I/O-free macrotask) run. */
export function settle(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => void };
  return new Promise((resolve) => {
    if (g.setImmediate !== undefined) g.setImmediate(resolve);
    else globalThis.setTimeout(resolve, 0);
  });
}

export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(ms: number, fn: () => void): TimerHandle {
    const t: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private nextDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.at > limit) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling promises between them. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      const t = this.nextDue(target);
      if (t === undefined) break;
      this.timers = this.timers.filter((x) => x !== t && !x.cancelled);
      this.time = Math.max(this.time, t.at);
      t.fn();
      await settle();
    }
    this.time = target;
    await settle();
  }

  /** Advances in steps until `done()` holds; throws after `maxMs` of virtual time. */
  async until(done: () => boolean | Promise<boolean>, maxMs = 600_000, stepMs = 100): Promise<void> {
    for (let spent = 0; ; spent += stepMs) {
      if (await done()) return;
      if (spent >= maxMs) throw new Error(`condition not reached within ${maxMs} ms of virtual time`);
      await this.advance(stepMs);
    }
  }

  /** A view whose timers can all be cancelled at once (a crashed process). */
  scope(): ClockScope {
    return new ClockScope(this);
  }
}

export class ClockScope implements Clock {
  private readonly handles = new Set<TimerHandle>();
  private dead = false;

  constructor(private readonly parent: Clock) {}

  now(): number {
    return this.parent.now();
  }

  setTimeout(ms: number, fn: () => void): TimerHandle {
    if (this.dead) return { cancel: () => {} };
    const h = this.parent.setTimeout(ms, () => {
      this.handles.delete(h);
      if (!this.dead) fn();
    });
    this.handles.add(h);
    return {
      cancel: () => {
        h.cancel();
        this.handles.delete(h);
      },
    };
  }

  kill(): void {
    this.dead = true;
    for (const h of this.handles) h.cancel();
    this.handles.clear();
  }
}
