import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BoardEvent, GenerationBoard } from '../../src/search/generation-board.js';

export interface BoardFixture {
  readonly board: GenerationBoard;
  /** A second handle on the same board (another node), or undefined for a one-process board. */
  readonly peer?: GenerationBoard;
  cleanup(): Promise<void>;
}

/** Every GenerationBoard implementation runs these (generation-board.ts states the contract). */
export function generationBoardConformance(name: string, open: () => Promise<BoardFixture>): void {
  describe(`GenerationBoard conformance: ${name}`, () => {
    let f: BoardFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.board.close();
      await f.peer?.close();
      await f.cleanup();
    });

    it('announcements replace what a node held; leave removes it', async () => {
      expect(await f.board.members()).toEqual([]);
      await f.board.announce('n1', ['g1']);
      await f.board.announce('n2', []);
      await f.board.announce('n1', ['g1', 'g2']);
      const members = await (f.peer ?? f.board).members();
      expect(members.map((m) => [m.node, m.held])).toEqual([
        ['n1', ['g1', 'g2']],
        ['n2', []],
      ]);
      await f.board.leave('n2');
      expect((await f.board.members()).map((m) => m.node)).toEqual(['n1']);
    });

    it('a posted standby is visible until promoted (cleared) or replaced; a stale clear is ignored', async () => {
      const other = f.peer ?? f.board;
      expect(await f.board.standby()).toBeNull();
      await f.board.postStandby('g2');
      expect(await other.standby()).toBe('g2');
      await other.postStandby('g3');
      await f.board.clearStandby('g2');
      expect(await f.board.standby()).toBe('g3');
      await f.board.clearStandby('g3');
      expect(await other.standby()).toBeNull();
    });

    it('notifications reach the other handles', async () => {
      if (f.peer === undefined) return; // one process: nobody else to tell
      const heard: BoardEvent[] = [];
      const stop = f.peer.watch((e) => heard.push(e));
      try {
        const deadline = Date.now() + 10_000;
        // The subscription is asynchronous: notify until the peer hears (bounded).
        while (!heard.includes('standby') && Date.now() < deadline) {
          await f.board.notify('standby');
          await new Promise((r) => setTimeout(r, 50));
        }
        await f.board.notify('pointer');
        while (!heard.includes('pointer') && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        expect(heard).toContain('standby');
        expect(heard).toContain('pointer');
      } finally {
        stop();
      }
    });
  });
}
