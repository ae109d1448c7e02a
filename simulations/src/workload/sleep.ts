import type { Simulator } from '../sim/simulator.js';

/** A promise that resolves after `ms` of virtual time. */
export function sleep(sim: Simulator, ms: number): Promise<void> {
  return new Promise((resolve) => {
    sim.schedule(ms, resolve);
  });
}

/** Races `promise` against a virtual-time deadline; resolves `undefined` on timeout. */
export function withDeadline<T>(
  sim: Simulator,
  ms: number,
  promise: Promise<T>,
): Promise<{ value: T } | { error: unknown } | undefined> {
  return new Promise((resolve) => {
    const timer = sim.schedule(ms, () => resolve(undefined));
    promise.then(
      (value) => {
        timer.cancel();
        resolve({ value });
      },
      (error: unknown) => {
        timer.cancel();
        resolve({ error });
      },
    );
  });
}
