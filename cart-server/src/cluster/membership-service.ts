/**
 * Live membership of a cart-server cluster, over the replication core's staged changes
 * (riak_core_claimant: stage join / leave / force-remove, plan, commit) and the address book.
 *
 * Joining, as riak_core does it: the joining node must be alone in its ring. The member handling
 * the join asks it who it is (`/node`: id, URL, ring size, N), checks that it runs the cluster's
 * settings, hands it the cluster's ring and address book (`/adopt`: the joiner *replaces* its
 * ring, so its own single-member claim never merges into the cluster's), records its URL and
 * stages the join. Committing makes a new ring version with the joiner as the `next` owner of the
 * partitions claim gives it; gossip spreads it; the old owners hand those partitions off and
 * switch ownership only once everything was acknowledged (crdt/src/replication/repair/handoff.ts).
 * A node started with `--join <url>` asks that member to do all of this for it.
 *
 * Staging is per node (the node you stage on is the one you plan and commit on), as Riak's
 * claimant is one node.
 */
import {
  type CartOp,
  type CartState,
  type MembershipChange,
  type NodeId,
  planChanges,
  type ReplicaNode,
  Ring,
  type RingPlan,
  type Storage,
} from '@cartwheel/crdt';
import type { Logger } from 'pino';
import { signToken } from '../auth/tokens.js';
import { ApiError } from '../http/errors.js';
import { type AddressBook, CLUSTER_NS } from './address-book.js';
import {
  type AaeStatusView,
  AdminClient,
  type AdoptRequest,
  type JoinResult,
  type MemberStatusView,
  type NodeInfo,
  type PlanView,
  type RingStatusView,
  type TransfersView,
} from './admin-client.js';

/** Replication settings every member of a cluster must share. */
export interface ClusterSettings {
  readonly ringSize: number;
  readonly n: number;
  readonly r: number;
  readonly w: number;
}

const SETTINGS_KEY = 'settings';

/** The settings a node took from the cluster it joined (so a restart keeps them), if it joined one. */
export async function loadJoinedSettings(storage: Storage): Promise<ClusterSettings | undefined> {
  const bytes = await storage.get(CLUSTER_NS, 0, SETTINGS_KEY);
  if (bytes === undefined) return undefined;
  try {
    const s = JSON.parse(new TextDecoder().decode(bytes)) as ClusterSettings;
    return [s.ringSize, s.n, s.r, s.w].every((v) => Number.isInteger(v) && v > 0) ? s : undefined;
  } catch {
    return undefined;
  }
}

export async function saveJoinedSettings(storage: Storage, settings: ClusterSettings): Promise<void> {
  const { ringSize, n, r, w } = settings;
  await storage.put(
    CLUSTER_NS,
    0,
    SETTINGS_KEY,
    new TextEncoder().encode(JSON.stringify({ ringSize, n, r, w })),
  );
}

export interface MembershipDeps {
  readonly replica: ReplicaNode<CartState, CartOp>;
  readonly addresses: AddressBook;
  readonly secret: string;
  readonly settings: ClusterSettings;
  /** This node's base URL (known once it listens). */
  selfUrl(): string;
  readonly log: Logger;
  readonly fetch?: typeof fetch;
}

/** A short-lived admin token this node signs for its calls to other members. */
export function nodeToken(secret: string, node: NodeId): Promise<string> {
  return signToken(secret, { sub: `node.${node}`, role: 'admin' }, { ttlSeconds: 120 });
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export class ClusterMembership {
  private readonly replica: ReplicaNode<CartState, CartOp>;

  constructor(private readonly d: MembershipDeps) {
    this.replica = d.replica;
  }

  /** A client for another node, authenticated as this node. */
  client(url: string, timeoutMs = 10_000): AdminClient {
    const { secret, replica } = this.d;
    return new AdminClient(url, () => nodeToken(secret, replica.id), {
      timeoutMs,
      ...(this.d.fetch === undefined ? {} : { fetch: this.d.fetch }),
    });
  }

  // ------------------------------------------------------------------ read-only views

  nodeInfo(): NodeInfo {
    const ring = this.replica.currentRing();
    return {
      node: this.replica.id,
      url: this.d.selfUrl(),
      ...this.d.settings,
      alone: this.replica.isAlone(),
      members: [...ring.members().keys()].sort(),
      ringVersion: ring.version,
    };
  }

  memberStatus(): MemberStatusView {
    const ring = this.replica.currentRing();
    const owned = new Map<string, number>();
    for (const o of ring.owners()) owned.set(o, (owned.get(o) ?? 0) + 1);
    const pending = ring.pendingTransfers();
    const members = [...ring.members()]
      .map(([node, e]) => {
        const count = owned.get(node) ?? 0;
        return {
          node,
          status: e.status,
          up: node === this.replica.id || this.replica.isUp(node),
          url: node === this.replica.id ? this.d.selfUrl() : (this.d.addresses.get(node) ?? null),
          owned: count,
          percent: Math.round((count / ring.size) * 1000) / 10,
          pendingIn: pending.filter((t) => t.to === node).length,
          pendingOut: pending.filter((t) => t.from === node).length,
        };
      })
      .sort((a, b) => (a.node < b.node ? -1 : 1));
    return {
      node: this.replica.id,
      ringVersion: ring.version,
      members,
      staged: [...this.replica.stagedChanges()],
    };
  }

  ringStatus(): RingStatusView {
    const ring = this.replica.currentRing();
    const n = this.d.settings.n;
    return {
      node: this.replica.id,
      ringVersion: ring.version,
      ringSize: ring.size,
      n,
      owners: ring.owners(),
      next: ring.owners().map((_, i) => ring.nextOf(i) ?? null),
      pendingTransfers: ring.pendingTransfers(),
      violations: ring.violations(n),
    };
  }

  transfers(): TransfersView {
    const ring = this.replica.currentRing();
    const status = this.replica.status();
    const pending = ring.pendingTransfers();
    const outbound = pending.filter((t) => t.from === this.replica.id);
    return {
      node: this.replica.id,
      ringVersion: ring.version,
      pendingTransfers: pending.length,
      outbound,
      active: status.handoffs,
      hintBacklog: status.hintBacklog,
      itemsSent: status.counters.handoffItemsSent,
      handoffsCompleted: status.counters.handoffsCompleted,
      remaining: outbound.length + status.handoffs.length + status.hintBacklog,
    };
  }

  aaeStatus(): AaeStatusView {
    const status = this.replica.status();
    return {
      node: this.replica.id,
      exchanges: status.counters.aaeExchanges,
      keysRepaired: status.counters.aaeRepairs,
      catchUpBacklog: status.aaeCatchUpBacklog,
      vnodes: this.replica.aaeStatus().map((v) => ({
        partition: v.partition,
        lastExchangeAt: v.lastExchangeAt === undefined ? null : new Date(v.lastExchangeAt).toISOString(),
        lastPeer: v.lastPeer ?? null,
        exchanges: v.exchanges,
        keysRepaired: v.keysRepaired,
      })),
    };
  }

  plan(): PlanView {
    return this.planView(this.tryPlan(() => this.replica.plan()));
  }

  // ------------------------------------------------------------------ staging

  /** Stages a leave or force-remove after checking that the plan it leads to exists. */
  stage(change: MembershipChange & { type: 'leave' | 'force-remove' }): MemberStatusView {
    const ring = this.replica.currentRing();
    const status = ring.member(change.node)?.status;
    if (status === undefined || status === 'removed')
      throw new ApiError('MEMBER_NOT_FOUND', `${change.node} is not a member of this cluster`);
    // Compute first: a change that leaves no valid member (or is otherwise impossible) is refused
    // before it is staged.
    const others = this.replica.stagedChanges().filter((c) => c.node !== change.node);
    this.tryPlan(() => planChanges(ring, [...others, change], this.d.settings.n, this.replica.id));
    this.replica.stage(change);
    this.d.log.info({ change }, 'membership change staged');
    return this.memberStatus();
  }

  clear(): MemberStatusView {
    this.replica.clearStaged();
    return this.memberStatus();
  }

  async commit(): Promise<PlanView> {
    if (this.replica.stagedChanges().length === 0)
      throw new ApiError('NOTHING_STAGED', 'no membership change is staged on this node');
    this.tryPlan(() => this.replica.plan());
    const plan = await this.replica.commitPlan();
    this.d.log.info(
      { changes: plan.changes, transfers: plan.transfers.length, reassigned: plan.reassigned.length },
      'membership plan committed',
    );
    return this.planView(plan);
  }

  /**
   * Stages the join of the node listening at `url` (this node handles the join): checks it, gives
   * it the cluster's ring and addresses, records its URL; commits everything staged if asked.
   */
  async join(url: string, commit: boolean): Promise<JoinResult> {
    const peer = this.client(url);
    const info = await peer.nodeInfo();
    const ring = this.replica.currentRing();
    const { settings } = this.d;
    if (info.node === this.replica.id)
      throw new ApiError('MEMBERSHIP_CONFLICT', `${url} is this node (${info.node})`);
    if (info.ringSize !== settings.ringSize || info.n !== settings.n)
      throw new ApiError(
        'MEMBERSHIP_CONFLICT',
        `${info.node} runs ring size ${info.ringSize} and N=${info.n}, this cluster ${settings.ringSize} and N=${settings.n}: ` +
          'start it with --join <url of a member> so it takes the cluster settings',
      );
    const member = ring.member(info.node);
    const known = this.d.addresses.get(info.node);
    if (member !== undefined && member.status !== 'removed') {
      if (known !== undefined && known !== info.url)
        throw new ApiError(
          'MEMBERSHIP_CONFLICT',
          `node id ${info.node} already belongs to the member at ${known}; give the new node another --node-id`,
        );
      if (member.status === 'valid') {
        this.d.addresses.set(info.node, info.url);
        return { node: info.node, url: info.url, staged: [], plan: null, alreadyMember: true };
      }
    }
    if (info.alone) {
      const request: AdoptRequest = {
        from: this.replica.id,
        ring: toBase64(ring.encode()),
        addresses: { ...this.d.addresses.entries(), [this.replica.id]: this.d.selfUrl() },
      };
      await peer.adopt(request);
    } else if (!info.members.includes(this.replica.id)) {
      throw new ApiError(
        'MEMBERSHIP_CONFLICT',
        `${info.node} already belongs to another ring (members ${info.members.join(', ')}); only a node alone in its ring can join`,
      );
    }
    this.d.addresses.set(info.node, info.url);
    await this.announce(info.node, info.url);
    this.replica.stage({ type: 'join', node: info.node });
    this.d.log.info({ node: info.node, url: info.url }, 'join staged');
    const staged = [...this.replica.stagedChanges()];
    const plan = commit ? await this.commit() : null;
    return { node: info.node, url: info.url, staged, plan, alreadyMember: false };
  }

  /** A member that handled a join tells this node where the joiner listens. */
  learnAddress(node: NodeId, url: string): { node: string; url: string } {
    if (node !== this.replica.id) this.d.addresses.set(node, url);
    return { node, url: this.d.addresses.get(node) ?? url };
  }

  /**
   * Tells every other active member where a joiner listens, so that they accept its connections
   * and reach it as soon as the join is committed (best effort: a member that misses this learns
   * the address from the joiner's first connection once the ring lists it).
   */
  private async announce(node: NodeId, url: string): Promise<void> {
    const members = this.replica
      .currentRing()
      .activeMembers()
      .filter((m) => m !== this.replica.id && m !== node);
    await Promise.all(
      members.map(async (m) => {
        const at = this.d.addresses.get(m);
        if (at === undefined) return;
        try {
          await this.client(at, 5000).announce(node, url);
        } catch (err) {
          this.d.log.warn(
            { member: m, node, err: (err as Error).message },
            'could not announce a joining node',
          );
        }
      }),
    );
  }

  /** Joiner side: a member hands this node the cluster's ring and address book. */
  async adopt(request: AdoptRequest): Promise<NodeInfo> {
    let ring: Ring;
    try {
      ring = Ring.decode(new Uint8Array(Buffer.from(request.ring, 'base64')));
    } catch (err) {
      throw new ApiError('VALIDATION_FAILED', 'ring is not a valid encoded ring', { cause: err });
    }
    if (ring.member(request.from) === undefined)
      throw new ApiError('VALIDATION_FAILED', `the ring does not list its sender ${request.from}`);
    if (this.replica.isAlone()) {
      if (ring.size !== this.d.settings.ringSize)
        throw new ApiError('MEMBERSHIP_CONFLICT', `ring size ${ring.size} differs from this node's`);
      await this.replica.adoptRing(ring);
      this.d.log.info({ from: request.from, ringVersion: ring.version }, 'adopted the cluster ring');
    } else if (this.replica.currentRing().member(request.from) === undefined) {
      throw new ApiError(
        'MEMBERSHIP_CONFLICT',
        `${this.replica.id} already belongs to another ring; only a node alone in its ring can join`,
      );
    }
    this.d.addresses.merge(request.addresses);
    return this.nodeInfo();
  }

  /**
   * `--join`: ask the member at `seedUrl` to join this node (and commit it, unless `commit` is
   * false). Retries while the member is unreachable, up to `patienceMs`; a refusal is final.
   */
  async joinVia(seedUrl: string, commit: boolean, patienceMs = 60_000): Promise<JoinResult | undefined> {
    // A fresh node is the only member of its own ring: that is not membership of a cluster.
    const self = this.replica.currentRing().member(this.replica.id);
    if (!this.replica.isAlone() && self !== undefined && self.status !== 'removed') {
      this.d.log.info({ seed: seedUrl }, 'already a member: --join has nothing to do');
      return undefined;
    }
    const deadline = Date.now() + patienceMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.client(seedUrl).join(this.d.selfUrl(), commit);
        this.d.log.info(
          { seed: seedUrl, committed: result.plan !== null, transfers: result.plan?.transfers.length },
          commit ? 'joined the cluster' : 'join staged: commit it with cartwheel-admin cluster commit',
        );
        return result;
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 'PEER_UNREACHABLE' || Date.now() > deadline) throw err;
        this.d.log.warn({ seed: seedUrl, err: err.message }, 'join: member unreachable, retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  }

  private tryPlan(compute: () => RingPlan): RingPlan {
    try {
      return compute();
    } catch (err) {
      if (err instanceof TypeError) throw new ApiError('MEMBERSHIP_INVALID', err.message, { cause: err });
      throw err;
    }
  }

  private planView(plan: RingPlan): PlanView {
    const owners = plan.ring.owners().map((o, i) => plan.ring.nextOf(i) ?? o);
    const ownership: Record<string, number> = {};
    for (const o of owners) ownership[o] = (ownership[o] ?? 0) + 1;
    return {
      node: this.replica.id,
      changes: plan.changes,
      transfers: plan.transfers,
      reassigned: plan.reassigned,
      owners,
      ownership,
      ringVersion: plan.ring.version,
    };
  }
}

/** Asks a member for the settings a joining node must run (before that node's replica exists). */
export async function fetchClusterSettings(
  seedUrl: string,
  secret: string,
  self: NodeId,
  patienceMs = 60_000,
): Promise<ClusterSettings> {
  const client = new AdminClient(seedUrl, () => nodeToken(secret, self));
  const deadline = Date.now() + patienceMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const { ringSize, n, r, w } = await client.nodeInfo();
      return { ringSize, n, r, w };
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'PEER_UNREACHABLE' || Date.now() > deadline) throw err;
      await new Promise((res) => setTimeout(res, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}
