import { EventQueue, type SimEvent } from './event-queue.js';
import { Prng } from './prng.js';

export interface SimTimer {
  cancel(): void;
}

/** A queued event is its own cancel handle: one allocation per event, no closures. */
class ScheduledEvent implements SimEvent, SimTimer {
  cancelled = false;

  constructor(
    readonly time: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }
}

/** Every this many events the loop yields a macrotask, so timers and I/O of the host get a turn. */
const YIELD_EVERY = 4096;

/**
 * Virtual time and an event queue. Events run one at a time, and every promise continuation an
 * event started — the replication core's storage calls are Promise-based — settles before the
 * next event runs. Nothing here reads the real clock, so a run is a pure function of its seed.
 *
 * How "settled" is detected without a macrotask per event: after an event the loop queues one
 * microtask, which queues a `process.nextTick`. V8 drains the whole microtask queue (including
 * every continuation queued while draining) before Node processes the next tick, so the tick —
 * the next loop step — runs exactly when the event's promise chains have settled, as a
 * `setImmediate` would, but without a turn of the event loop (an epoll call) per event. Every
 * YIELD_EVERY events the step goes through `setImmediate` instead so the thread stays responsive.
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
    const event = new ScheduledEvent(this.current + delayMs, this.seq++, fn);
    this.queue.push(event);
    return event;
  }

  at(time: number, fn: () => void): SimTimer {
    return this.schedule(Math.max(0, time - this.current), fn);
  }

  /** Events still queued (cancelled ones included until they are popped). */
  get pending(): number {
    return this.queue.size;
  }

  /**
   * Processes events until virtual time `until` (inclusive) or until `stop()` returns true
   * (checked after each event, once its promise chains settled). Leaves the clock at `until`
   * unless stopped early.
   */
  runUntil(until: number, stop?: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      let ran = false;
      const next = (): void => {
        if (this.events % YIELD_EVERY === 0) setImmediate(step);
        else process.nextTick(step);
      };
      const step = (): void => {
        if (ran && stop?.()) {
          resolve();
          return;
        }
        if (!this.runOne(until)) {
          this.current = Math.max(this.current, until);
          resolve();
          return;
        }
        ran = true;
        queueMicrotask(next);
      };
      step();
    });
  }

  /** Runs the next due event (skipping cancelled ones); false when none is due by `until`. */
  private runOne(until: number): boolean {
    for (;;) {
      const event = this.queue.peek();
      if (event === undefined || event.time > until) return false;
      this.queue.pop();
      if (event.cancelled) continue;
      this.current = event.time;
      this.events++;
      try {
        event.fn();
      } catch (err) {
        this.error ??= err;
      }
      return true;
    }
  }
}
