/**
 * One deadline structure for every request of a node, instead of a clock timer per request: a
 * binary min-heap of deadlines with lazy cancellation, and a single clock timer armed for the
 * earliest one. Arming and cancelling a request's deadline allocates one small entry and touches
 * no timer in the common case (the request finishes before its deadline); cancelled entries are
 * dropped when they reach the top, or all at once when they outnumber the live ones.
 */
import type { Clock, TimerHandle } from '../interfaces.js';

interface Entry {
  readonly at: number;
  fn: (() => void) | undefined;
}

export interface Deadline {
  /** The request finished: its deadline will not fire. */
  cancel(): void;
}

export class Deadlines {
  private heap: Entry[] = [];
  private live = 0;
  private timer: TimerHandle | undefined;
  /** When the armed clock timer fires (Infinity: none armed). */
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  /** Calls `fn` after `ms`, unless cancelled first. */
  add(ms: number, fn: () => void): Deadline {
    const e: Entry = { at: this.clock.now() + ms, fn };
    this.push(e);
    this.live++;
    if (e.at < this.armedFor) this.arm(e.at);
    return {
      cancel: () => {
        if (e.fn === undefined) return;
        e.fn = undefined;
        this.live--;
        if (this.heap.length > 64 && this.live * 2 < this.heap.length) this.compact();
      },
    };
  }

  /** Pending (not cancelled, not fired) deadlines. */
  get size(): number {
    return this.live;
  }

  /** Drops every deadline and the clock timer (the node stops). */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    for (const e of this.heap) e.fn = undefined;
    this.heap = [];
    this.live = 0;
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.armedFor = at;
    this.timer = this.clock.setTimeout(Math.max(0, at - this.clock.now()), () => this.fire());
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    const due: (() => void)[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const e = this.pop();
      if (e.fn === undefined) continue;
      due.push(e.fn);
      e.fn = undefined;
      this.live--;
    }
    this.dropCancelledTop();
    if (this.heap.length > 0) this.arm(this.heap[0]!.at);
    for (const fn of due) fn();
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.fn === undefined) this.pop();
  }

  private compact(): void {
    const keep = this.heap.filter((e) => e.fn !== undefined);
    keep.sort((a, b) => a.at - b.at); // a sorted array is a valid heap
    this.heap = keep;
  }

  private push(e: Entry): void {
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= e.at) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
        if (h[c]!.at >= last.at) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
