/**
 * In-process stand-in for BroadcastChannel + Web Locks, to test the leader/follower logic of
 * several "tabs" in Node. Messages are structured-cloned and delivered asynchronously to every
 * other tab, like BroadcastChannel; the lock is granted in request order, like Web Locks.
 */
import type { TabCoordinator, TabMessage } from '../../src/index.js';

export function memoryTabs(): () => TabCoordinator {
  const members = new Set<{ deliver: (m: TabMessage) => void }>();
  const queue: Array<{ grant: () => void; alive: () => boolean }> = [];
  let holder: object | undefined;

  const grantNext = (): void => {
    while (holder === undefined && queue.length > 0) {
      const next = queue.shift()!;
      if (next.alive()) next.grant();
    }
  };

  return () => {
    let handler: ((m: TabMessage) => void) | undefined;
    let closed = false;
    const self = {
      deliver: (m: TabMessage) => {
        if (!closed) handler?.(m);
      },
    };
    members.add(self);
    return {
      campaign(onLeader) {
        queue.push({
          alive: () => !closed,
          grant: () => {
            holder = self;
            queueMicrotask(onLeader);
          },
        });
        grantNext();
      },
      post(message) {
        const copy = structuredClone(message);
        for (const m of members) if (m !== self) setTimeout(() => m.deliver(copy), 0);
      },
      onMessage(h) {
        handler = h;
      },
      close() {
        closed = true;
        members.delete(self);
        if (holder === self) {
          holder = undefined;
          grantNext();
        }
      },
    };
  };
}
