/**
 * Heartbeat failure detector: every node sends a heartbeat to every member each interval; any
 * message from a peer counts as a sign of life, and a peer not heard from within the timeout is
 * considered down (riak_core_node_watcher plays this role in Riak). Peers start "up" at start
 * time so a fresh cluster does not begin on fallbacks.
 *
 * `heard` reports when a peer comes up: the first message from it since this node started, or
 * the first after it was down. That is when the node starts catching up with it (hints, AAE).
 */
import type { NodeId } from '../interfaces.js';

export class FailureDetector {
  private readonly lastHeard = new Map<NodeId, number>();
  /** Peers heard from since start (tracking alone does not count). */
  private readonly contacted = new Set<NodeId>();

  constructor(
    private readonly self: NodeId,
    private readonly now: () => number,
    private readonly timeoutMs: number,
  ) {}

  /** Starts tracking `node` as if just heard from (no-op if already tracked). */
  track(node: NodeId): void {
    if (!this.lastHeard.has(node)) this.lastHeard.set(node, this.now());
  }

  /** Records a sign of life; true when it brings `node` up (first contact, or back from down). */
  heard(node: NodeId): boolean {
    const now = this.now();
    const last = this.lastHeard.get(node);
    this.lastHeard.set(node, now);
    if (!this.contacted.has(node)) {
      this.contacted.add(node);
      return node !== this.self;
    }
    return last === undefined || now - last > this.timeoutMs;
  }

  isUp(node: NodeId): boolean {
    if (node === this.self) return true;
    const t = this.lastHeard.get(node);
    return t !== undefined && this.now() - t <= this.timeoutMs;
  }

  peers(): NodeId[] {
    return [...this.lastHeard.keys()].filter((n) => n !== this.self).sort();
  }
}
