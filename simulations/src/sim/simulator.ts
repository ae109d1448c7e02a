import { EventQueue, type SimEvent } from './event-queue.js';
import { Prng } from './prng.js';

export interface SimTimer {
  cancel(): void;
}

/**
 * Virtual time and an event queue. Events run one at a time; after each one the loop yields a
 * macrotask (`setImmediate`) so every promise continuation the event started — the replication
 * core's storage calls are Promise-based — settles before the next event. Nothing here reads
 * the real clock, so a run is a pure function of its seed.
 */
export class Simulator {
  readonly rng: Prng;
  private readonly queue = new EventQueue();
  private seq = 0;
  private current = 0;
  events = 0;
  /** First error thrown by an event handler; the run is reported as failed. */
  error: unknown = undefined;

  constructor(seed: number) {
    this.rng = new Prng(seed);
  }

  get now(): number {
    return this.current;
  }

  /** Runs `fn` after `delayMs` of virtual time (0 = after everything already due now). */
  schedule(delayMs: number, fn: () => void): SimTimer {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new TypeError(`bad delay ${delayMs}`);
    const event: SimEvent = { time: this.current + delayMs, seq: this.seq++, fn, cancelled: false };
    this.queue.push(event);
    return {
      cancel: () => {
        event.cancelled = true;
      },
    };
  }

  at(time: number, fn: () => void): SimTimer {
    return this.schedule(Math.max(0, time - this.current), fn);
  }

  /** Virtual milliseconds until the next pending event, or undefined when idle. */
  get pending(): number {
    return this.queue.size;
  }

  /**
   * Processes events until virtual time `until` (inclusive) or until `stop()` returns true
   * (checked after each event). Leaves the clock at `until` unless stopped early.
   */
  async runUntil(until: number, stop?: () => boolean): Promise<void> {
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.time > until) break;
      this.queue.pop();
      if (next.cancelled) continue;
      this.current = next.time;
      this.events++;
      try {
        next.fn();
      } catch (err) {
        this.error ??= err;
      }
      await drainMicrotasks();
      if (stop?.()) return;
    }
    this.current = Math.max(this.current, until);
  }
}

/** Resolves after every queued microtask (and the ones they queue) has run. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
