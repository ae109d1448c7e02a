/**
 * Heartbeat failure detector: every node sends a heartbeat to every member each interval; any
 * message from a peer counts as a sign of life, and a peer not heard from within the timeout is
 * considered down (riak_core_node_watcher plays this role in Riak). Peers start "up" at start
 * time so a fresh cluster does not begin on fallbacks.
 */
import type { NodeId } from '../interfaces.js';

export class FailureDetector {
  private readonly lastHeard = new Map<NodeId, number>();

  constructor(
    private readonly self: NodeId,
    private readonly now: () => number,
    private readonly timeoutMs: number,
  ) {}

  /** Starts tracking `node` as if just heard from (no-op if already tracked). */
  track(node: NodeId): void {
    if (!this.lastHeard.has(node)) this.lastHeard.set(node, this.now());
  }

  heard(node: NodeId): void {
    this.lastHeard.set(node, this.now());
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
