import type { Clock, TimerHandle } from '@cartwheel/crdt';
import type { SimHost } from './host.js';

/**
 * The `Clock` one process incarnation sees. `now()` is its skewed wall clock (it may jump
 * backwards); timers measure virtual time like a monotonic clock does, and never fire for a
 * dead incarnation.
 */
export function createSimClock(host: SimHost, incarnation: number): Clock {
  return {
    now: () => host.wallClock(),
    setTimeout(ms: number, fn: () => void): TimerHandle {
      let cancelled = false;
      const timer = host.sim.schedule(Math.max(0, ms), () => {
        host.run(incarnation, () => {
          if (!cancelled) fn();
        });
      });
      return {
        cancel() {
          cancelled = true;
          timer.cancel();
        },
      };
    },
  };
}
