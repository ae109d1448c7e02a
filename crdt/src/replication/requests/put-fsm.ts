/**
 * The write coordinator's state machine, after riak_kv_put_fsm: count durable acknowledgements
 * from the preference list and succeed once W (PW of them from primaries) are in; fail at the
 * deadline, or as soon as the missing acknowledgements can no longer arrive.
 */
import { QuorumError } from '../../errors.js';
import type { PreflistEntry } from '../ring/preference-list.js';

export class PutFsm {
  private readonly answered = new Set<number>();
  private acks = 0;
  private primaryAcks = 0;
  private done = false;

  constructor(
    readonly entries: readonly PreflistEntry[],
    private readonly w: number,
    private readonly pw: number,
    private readonly onResult: (error: QuorumError | undefined) => void,
  ) {
    const primaries = entries.filter((e) => e.kind === 'primary').length;
    if (primaries < pw) this.finish(new QuorumError({ needed: pw, replied: 0, primaries: 0, kind: 'pw' }));
    else if (entries.length < w)
      this.finish(new QuorumError({ needed: w, replied: 0, primaries: 0, kind: 'w' }));
  }

  get isDone(): boolean {
    return this.done;
  }

  indexOf(node: string, partition: number): number {
    return this.entries.findIndex(
      (e, i) => e.node === node && e.partition === partition && !this.answered.has(i),
    );
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
    if (this.done || index < 0 || this.answered.has(index)) return;
    this.answered.add(index);
    const primary = this.entries[index]!.kind === 'primary';
    if (ok) {
      this.acks++;
      if (primary) this.primaryAcks++;
    }
    if (this.acks >= this.w && this.primaryAcks >= this.pw) {
      this.finish(undefined);
      return;
    }
    // Can the rest still make it?
    let openPrimaries = 0;
    let open = 0;
    this.entries.forEach((e, i) => {
      if (!this.answered.has(i)) {
        open++;
        if (e.kind === 'primary') openPrimaries++;
      }
    });
    if (this.acks + open < this.w || this.primaryAcks + openPrimaries < this.pw) this.finish(this.error());
  }

  timeout(): void {
    this.finish(this.error());
  }
}
