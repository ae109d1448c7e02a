/**
 * The read coordinator's state machine, after riak_kv_get_fsm: ask every entry of the
 * preference list, answer the caller once R replies (PR of them from primaries) are in, keep
 * listening until all entries replied or the deadline passed, then read-repair. Pure: it only
 * counts replies and calls back; the node does the sending and the timing.
 */
import { QuorumError } from '../../errors.js';
import type { ReplicatedType } from '../interfaces.js';
import type { PreflistEntry } from '../ring/preference-list.js';
import { countVersions, mergeReplies, type ReadReply } from './read-repair.js';

export interface GetResult<S> {
  readonly state: S;
  readonly replies: number;
  readonly versions: number;
}

export class GetFsm<S, Op> {
  readonly replies: ReadReply<S>[] = [];
  private readonly answered = new Set<number>();
  private primaries = 0;
  private done = false;
  private finished = false;

  constructor(
    private readonly type: ReplicatedType<S, Op>,
    readonly entries: readonly PreflistEntry[],
    private readonly r: number,
    private readonly pr: number,
    private readonly onResult: (result: GetResult<S> | QuorumError) => void,
    private readonly onFinish: (replies: readonly ReadReply<S>[]) => void,
  ) {
    const primaries = entries.filter((e) => e.kind === 'primary').length;
    if (primaries < pr) this.fail({ needed: pr, replied: 0, primaries: 0, kind: 'pr' }, true);
    else if (entries.length < r) this.fail({ needed: r, replied: 0, primaries: 0, kind: 'r' }, true);
  }

  private fail(d: ConstructorParameters<typeof QuorumError>[0], finish: boolean): void {
    if (!this.done) {
      this.done = true;
      this.onResult(new QuorumError(d));
    }
    if (finish) this.finished = true;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Index of the entry a reply from (node, partition) answers, or -1. */
  indexOf(node: string, partition: number): number {
    return this.entries.findIndex(
      (e, i) => e.node === node && e.partition === partition && !this.answered.has(i),
    );
  }

  reply(index: number, state: S | undefined): void {
    if (this.finished || index < 0 || this.answered.has(index)) return;
    this.answered.add(index);
    const entry = this.entries[index]!;
    this.replies.push({ entry, state });
    if (entry.kind === 'primary') this.primaries++;
    if (!this.done && this.replies.length >= this.r && this.primaries >= this.pr) {
      this.done = true;
      this.onResult({
        state: mergeReplies(this.type, this.replies),
        replies: this.replies.length,
        versions: countVersions(this.type, this.replies),
      });
    }
    if (this.answered.size === this.entries.length) this.finish();
  }

  /** The deadline passed. */
  timeout(): void {
    if (this.finished) return;
    const kind = this.replies.length < this.r ? 'r' : 'pr';
    this.fail(
      {
        needed: kind === 'r' ? this.r : this.pr,
        replied: this.replies.length,
        primaries: this.primaries,
        kind,
      },
      false,
    );
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish(this.replies);
  }
}
