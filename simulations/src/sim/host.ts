import type { Simulator } from './simulator.js';
import { SimDisk } from './storage.js';

export type HostState = 'up' | 'down' | 'paused';

/**
 * One simulated machine: a disk that survives crashes, a wall-clock offset, and the current
 * process incarnation. Everything that calls into a process (timer, message delivery, storage
 * completion) goes through `run`, which drops callbacks of dead incarnations and holds them
 * while the process is paused (SIGSTOP: the kernel keeps buffering, nothing runs).
 */
export class SimHost {
  readonly disk: SimDisk;
  state: HostState = 'down';
  incarnation = 0;
  /** Wall clock = virtual time + offset; clock-skew nemeses move it, even backwards. */
  clockOffset = 0;
  private held: Array<() => void> = [];

  constructor(
    readonly id: string,
    readonly sim: Simulator,
  ) {
    this.disk = new SimDisk(sim, this);
  }

  /** Starts a new incarnation (the previous one, if any, must be down). */
  boot(): number {
    this.incarnation++;
    this.state = 'up';
    return this.incarnation;
  }

  /** Crash: the process and its memory are gone; `loseUnsynced` also drops unsynced writes. */
  crash(loseUnsynced: boolean): void {
    if (this.state === 'down') return;
    this.state = 'down';
    this.held = [];
    this.incarnation++;
    this.disk.crash(loseUnsynced);
  }

  pause(): void {
    if (this.state === 'up') this.state = 'paused';
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'up';
    const held = this.held;
    this.held = [];
    // Everything that piled up runs now, in arrival order, as separate events.
    for (const fn of held) this.sim.schedule(0, fn);
  }

  alive(incarnation: number): boolean {
    return this.incarnation === incarnation && this.state !== 'down';
  }

  run(incarnation: number, fn: () => void): void {
    if (this.incarnation !== incarnation || this.state === 'down') return;
    if (this.state === 'paused') {
      this.held.push(() => this.run(incarnation, fn));
      return;
    }
    fn();
  }

  /** The wall clock this host's process sees. */
  wallClock(): number {
    return WALL_CLOCK_EPOCH + this.sim.now + this.clockOffset;
  }
}

/** Virtual time 0 maps to this wall-clock instant (2025-06-15), so HLC values look real. */
export const WALL_CLOCK_EPOCH = 1_750_000_000_000;
