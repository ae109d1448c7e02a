/**
 * The cluster admin API as both ends see it: the JSON shapes of `/v1/admin/cluster/*` and one
 * small client for them. `cartwheel-admin` uses it with an operator's token; a node uses it with
 * a short-lived admin token it signs itself (every node holds the cluster's JWT secret) to run a
 * join, so node-to-node calls go through the same auth path as an operator's.
 */
import type { HandoffProgress, MemberStatus, MembershipChange, Transfer } from '@cartwheel/crdt';
import { ApiError } from '../http/errors.js';

/** Who a node is and the replication settings it runs (a joiner must run the cluster's). */
export interface NodeInfo {
  readonly node: string;
  readonly url: string;
  readonly ringSize: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  /** Its ring has no member but itself: it can adopt a cluster's ring. */
  readonly alone: boolean;
  readonly members: readonly string[];
  readonly ringVersion: number;
}

export interface MemberView {
  readonly node: string;
  readonly status: MemberStatus;
  /** As the answering node's failure detector sees it (itself: always up). */
  readonly up: boolean;
  readonly url: string | null;
  /** Partitions owned now, and their share of the ring in percent. */
  readonly owned: number;
  readonly percent: number;
  /** Partitions moving to / away from this member (pending ownership handoff). */
  readonly pendingIn: number;
  readonly pendingOut: number;
}

export interface MemberStatusView {
  readonly node: string;
  readonly ringVersion: number;
  readonly members: readonly MemberView[];
  /** Changes staged on the answering node, not yet committed. */
  readonly staged: readonly MembershipChange[];
}

export interface RingStatusView {
  readonly node: string;
  readonly ringVersion: number;
  readonly ringSize: number;
  readonly n: number;
  /** Owner of each partition, and its next owner while a transfer is pending (else null). */
  readonly owners: readonly string[];
  readonly next: readonly (string | null)[];
  readonly pendingTransfers: readonly Transfer[];
  /** Windows of N consecutive partitions that are not on N distinct nodes. */
  readonly violations: number;
}

export interface TransfersView {
  readonly node: string;
  readonly ringVersion: number;
  /** Ownership transfers the ring still names, cluster-wide, and those this node sends. */
  readonly pendingTransfers: number;
  readonly outbound: readonly Transfer[];
  /** Handoffs this node is running now (ownership or hinted), with their progress. */
  readonly active: readonly HandoffProgress[];
  /** Keys held for other nodes plus hints of replicas that missed a write. */
  readonly hintBacklog: number;
  readonly itemsSent: number;
  readonly handoffsCompleted: number;
  /** outbound + active + hintBacklog: zero once this node has nothing left to move. */
  readonly remaining: number;
}

export interface AaeVnodeView {
  readonly partition: number;
  readonly lastExchangeAt: string | null;
  readonly lastPeer: string | null;
  readonly exchanges: number;
  readonly keysRepaired: number;
}

export interface AaeStatusView {
  readonly node: string;
  readonly exchanges: number;
  readonly keysRepaired: number;
  /** Catch-up exchanges queued or running (a peer came back). */
  readonly catchUpBacklog: number;
  readonly vnodes: readonly AaeVnodeView[];
}

export interface PlanView {
  readonly node: string;
  readonly changes: readonly MembershipChange[];
  /** Partitions that move by handoff, and those reassigned at once (from force-removed nodes). */
  readonly transfers: readonly Transfer[];
  readonly reassigned: readonly Transfer[];
  /** The owner of every partition once the plan has run, and partitions per member. */
  readonly owners: readonly string[];
  readonly ownership: Readonly<Record<string, number>>;
  /** The ring version the plan was computed on (commit: the version it produced). */
  readonly ringVersion: number;
}

export interface JoinResult {
  readonly node: string;
  readonly url: string;
  /** The join was staged on the answering node; `plan` is the committed plan when it was committed. */
  readonly staged: readonly MembershipChange[];
  readonly plan: PlanView | null;
  /** The node already was a member: nothing was staged. */
  readonly alreadyMember: boolean;
}

export interface AdoptRequest {
  readonly from: string;
  /** The member's ring, base64 of its binary encoding (Ring.encode). */
  readonly ring: string;
  readonly addresses: Readonly<Record<string, string>>;
}

export interface AdminClientOptions {
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** One node's admin API. Failures are ApiErrors: the node's own code, or PEER_UNREACHABLE. */
export class AdminClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(
    baseUrl: string,
    private readonly token: string | (() => Promise<string>),
    options: AdminClientOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? fetch;
  }

  nodeInfo(): Promise<NodeInfo> {
    return this.call('GET', '/node');
  }
  members(): Promise<MemberStatusView> {
    return this.call('GET', '/members');
  }
  ring(): Promise<RingStatusView> {
    return this.call('GET', '/ring');
  }
  transfers(): Promise<TransfersView> {
    return this.call('GET', '/transfers');
  }
  aae(): Promise<AaeStatusView> {
    return this.call('GET', '/aae');
  }
  plan(): Promise<PlanView> {
    return this.call('GET', '/plan');
  }
  /** Stages the join of the node listening at `url` (and commits everything staged, if asked). */
  join(url: string, commit = false): Promise<JoinResult> {
    return this.call('POST', '/join', { url, commit });
  }
  leave(node: string): Promise<MemberStatusView> {
    return this.call('POST', '/leave', { node });
  }
  forceRemove(node: string): Promise<MemberStatusView> {
    return this.call('POST', '/force-remove', { node });
  }
  commit(): Promise<PlanView> {
    return this.call('POST', '/commit');
  }
  clear(): Promise<MemberStatusView> {
    return this.call('POST', '/clear');
  }
  adopt(request: AdoptRequest): Promise<NodeInfo> {
    return this.call('POST', '/adopt', request);
  }
  /** Tells a member where a joining node listens (so it accepts and dials it before the commit). */
  announce(node: string, url: string): Promise<{ node: string; url: string }> {
    return this.call('POST', '/addresses', { node, url });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}/v1/admin/cluster${path}`;
    const token = typeof this.token === 'string' ? this.token : await this.token();
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(method === 'POST' ? { body: body === undefined ? '' : JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const why = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : describeCause(err);
      throw new ApiError('PEER_UNREACHABLE', `cannot reach ${this.baseUrl}: ${why}`, { cause: err });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const code = typeof e?.code === 'string' ? e.code : res.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
      const message = typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`;
      throw new ApiError(code, `${this.baseUrl}: ${message}`, { details: { status: res.status } });
    }
    if (json === undefined)
      throw new ApiError('PEER_UNREACHABLE', `${this.baseUrl} answered ${res.status} without JSON`);
    return json as T;
  }
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
