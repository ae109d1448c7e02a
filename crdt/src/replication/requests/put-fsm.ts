/**
 * The write coordinator's state machine, after riak_kv_put_fsm: count durable acknowledgements
 * from the preference list and succeed once W (PW of them from primaries) are in; fail at the
 * deadline, or as soon as the missing acknowledgements can no longer arrive.
 */
import { QuorumError } from '../../errors.js';
import type { PreflistEntry } from '../ring/preference-list.js';

export class PutFsm {
  /** Bit i set: entry i answered (preference lists are at most N ≤ 16 entries long). */
  private answered = 0;
  private acks = 0;
  private primaryAcks = 0;
  /** Entries (and primaries among them) that have not answered yet. */
  private open: number;
  private openPrimaries = 0;
  private done = false;

  constructor(
    readonly entries: readonly PreflistEntry[],
    private readonly w: number,
    private readonly pw: number,
    private readonly onResult: (error: QuorumError | undefined) => void,
  ) {
    if (entries.length > 30) throw new TypeError('a preference list has at most 30 entries');
    this.open = entries.length;
    for (const e of entries) if (e.kind === 'primary') this.openPrimaries++;
    if (this.openPrimaries < pw)
      this.finish(new QuorumError({ needed: pw, replied: 0, primaries: 0, kind: 'pw' }));
    else if (entries.length < w)
      this.finish(new QuorumError({ needed: w, replied: 0, primaries: 0, kind: 'w' }));
  }

  get isDone(): boolean {
    return this.done;
  }

  /** Index of the entry a reply from (node, partition) answers, or -1. */
  indexOf(node: string, partition: number): number {
    const es = this.entries;
    for (let i = 0; i < es.length; i++) {
      const e = es[i]!;
      if (e.partition === partition && e.node === node && (this.answered & (1 << i)) === 0) return i;
    }
    return -1;
  }

  private finish(error: QuorumError | undefined): void {
    if (this.done) return;
    this.done = true;
    this.onResult(error);
  }

  private error(): QuorumError {
    const kind = this.acks < this.w ? 'w' : 'pw';
    return new QuorumError({
      needed: kind === 'w' ? this.w : this.pw,
      replied: this.acks,
      primaries: this.primaryAcks,
      kind,
    });
  }

  ack(index: number, ok: boolean): void {
    if (this.done || index < 0 || (this.answered & (1 << index)) !== 0) return;
    this.answered |= 1 << index;
    const primary = this.entries[index]!.kind === 'primary';
    this.open--;
    if (primary) this.openPrimaries--;
    if (ok) {
      this.acks++;
      if (primary) this.primaryAcks++;
    }
    if (this.acks >= this.w && this.primaryAcks >= this.pw) this.finish(undefined);
    // Can the rest still make it?
    else if (this.acks + this.open < this.w || this.primaryAcks + this.openPrimaries < this.pw)
      this.finish(this.error());
  }

  timeout(): void {
    this.finish(this.error());
  }
}
