/**
 * The requests a node is waiting on: each has a message id its replies carry, a handler for
 * them, and a deadline in the node's one deadline heap (requests/deadlines.ts). Replies to an id
 * nobody waits for any more are ignored. Stopping the node tells every open request once.
 */
import type { NodeId } from '../interfaces.js';
import type { Message } from '../wire/messages.js';
import type { Deadline, Deadlines } from './deadlines.js';

export type ReplyMessage = Extract<Message, { t: 'get-reply' | 'put-reply' | 'coord-reply' }>;

export interface RequestHandlers {
  /** A reply addressed to this request. */
  reply(from: NodeId, m: ReplyMessage): void;
  /** The deadline passed. */
  timeout(): void;
  /** The node stopped. */
  stop(): void;
}

export interface OpenRequest {
  readonly id: number;
  /** Stops listening and drops the deadline (idempotent). */
  close(): void;
}

export class RequestTable {
  private readonly open = new Map<number, RequestHandlers>();

  constructor(
    private readonly deadlines: Deadlines,
    private readonly newId: () => number,
  ) {}

  /** Opens a request with a fresh id; it listens until closed, and `timeout` fires at the deadline. */
  start(timeoutMs: number, handlers: RequestHandlers): OpenRequest {
    const id = this.newId();
    this.open.set(id, handlers);
    let deadline: Deadline | undefined;
    const close = (): void => {
      if (this.open.get(id) === handlers) this.open.delete(id);
      deadline?.cancel();
    };
    deadline = this.deadlines.add(timeoutMs, () => {
      deadline = undefined;
      handlers.timeout();
    });
    return { id, close };
  }

  /** Routes a reply to the request waiting for it. */
  route(from: NodeId, m: ReplyMessage): void {
    this.open.get(m.id)?.reply(from, m);
  }

  /** Tells every open request that the node stopped, and forgets them. */
  stopAll(): void {
    const all = [...this.open.values()];
    this.open.clear();
    this.deadlines.clear();
    for (const h of all) h.stop();
  }
}
