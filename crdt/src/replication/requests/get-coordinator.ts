/**
 * The read path, after riak_kv_get_fsm: ask every replica of the key, answer after R replies
 * (PR from primaries), keep listening until all replied or the deadline passed, then read-repair
 * the replicas that answered with something older (or nothing).
 */
import { QuorumError } from '../../errors.js';
import type { NodeId } from '../interfaces.js';
import { type ReadOptions, resolveRequestOptions, validateKey } from '../node/node-types.js';
import type { PreflistEntry } from '../ring/preference-list.js';
import { putMessage } from '../wire/messages.js';
import { type CoordinatorDeps, ensureStarted, quorumFailed, stoppedError } from './coordinator-deps.js';
import { GetFsm, type GetResult } from './get-fsm.js';
import { staleReplicas } from './read-repair.js';

export class GetCoordinator<S, Op> {
  constructor(private readonly d: CoordinatorDeps<S, Op>) {}

  get(key: string, options?: ReadOptions): Promise<GetResult<S>> {
    validateKey(key);
    const o = resolveRequestOptions(this.d.config, options);
    ensureStarted(this.d);
    this.d.counters.gets++;
    const entries = this.d.preferenceList(key);
    return new Promise<GetResult<S>>((resolve, reject) => {
      const fsm: GetFsm<S, Op> = new GetFsm(
        this.d.type,
        entries,
        o.r,
        o.pr,
        (res) => (res instanceof QuorumError ? reject(quorumFailed(this.d, res)) : resolve(res)),
        (replies) => {
          req?.close();
          this.readRepair(key, replies);
        },
      );
      if (fsm.isFinished) return;
      const onReply = (from: NodeId, partition: number, bytes: Uint8Array | undefined): void => {
        let state: S | undefined;
        try {
          state = bytes === undefined ? undefined : this.d.type.decode(bytes);
        } catch {
          return;
        }
        fsm.reply(fsm.indexOf(from, partition), state);
      };
      const req = this.d.requests.start(o.timeoutMs, {
        reply: (from, m) => {
          if (m.t === 'get-reply') onReply(from, m.partition, m.state);
        },
        timeout: () => fsm.timeout(),
        stop: () => {
          fsm.timeout();
          reject(stoppedError(this.d.self));
        },
      });
      for (const e of entries) {
        if (e.node !== this.d.self)
          this.d.send(e.node, { t: 'get', id: req.id, partition: e.partition, key });
        else
          this.d.vnodes.read(e.partition, key, false, (err, c) => {
            if (err === undefined) onReply(this.d.self, e.partition, c?.bytes);
          });
      }
    });
  }

  private readRepair(key: string, replies: readonly { entry: PreflistEntry; state: S | undefined }[]): void {
    if (replies.length === 0 || !this.d.isStarted()) return;
    let merged = this.d.type.empty();
    for (const r of replies) if (r.state !== undefined) merged = this.d.type.join(merged, r.state);
    const stale = staleReplicas(this.d.type, merged, replies);
    if (stale.length === 0) return;
    const bytes = this.d.type.encode(merged);
    for (const e of stale) {
      this.d.counters.readRepairs++;
      if (e.node === this.d.self) this.d.vnodes.mergeWith(e.partition, key, merged, () => {});
      else this.d.send(e.node, putMessage(0, e.partition, key, bytes));
    }
  }
}
