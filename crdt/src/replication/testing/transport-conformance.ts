/**
 * The Transport conformance suite for *reliable* setups (in-memory with no faults, WebSocket on
 * loopback): addressed delivery with the right sender, bytes intact, many and large messages.
 *   transportConformance('memory', async () => ({ a, b, close }));
 */
import { describe, expect, it } from 'vitest';
import type { NodeId, Transport } from '../interfaces.js';

export interface TransportPair {
  readonly a: Transport;
  readonly b: Transport;
  close(): void | Promise<void>;
}

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for delivery');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function transportConformance(name: string, makePair: () => Promise<TransportPair>): void {
  describe(`Transport conformance: ${name}`, () => {
    const withPair = (fn: (p: TransportPair) => Promise<void>) => async () => {
      const p = await makePair();
      try {
        await fn(p);
      } finally {
        await p.close();
      }
    };

    it(
      'endpoints have distinct ids',
      withPair(async ({ a, b }) => {
        expect(typeof a.self).toBe('string');
        expect(a.self).not.toBe(b.self);
      }),
    );

    it(
      'delivers a message with its sender and bytes intact, both ways',
      withPair(async ({ a, b }) => {
        const atB: [NodeId, number[]][] = [];
        const atA: [NodeId, number[]][] = [];
        b.onMessage((from, m) => atB.push([from, [...m]]));
        a.onMessage((from, m) => atA.push([from, [...m]]));
        a.send(b.self, Uint8Array.from([1, 2, 3]));
        b.send(a.self, Uint8Array.from([4, 5]));
        await waitFor(() => atB.length === 1 && atA.length === 1);
        expect(atB[0]).toEqual([a.self, [1, 2, 3]]);
        expect(atA[0]).toEqual([b.self, [4, 5]]);
      }),
    );

    it(
      'delivers many messages (each exactly once on a reliable link)',
      withPair(async ({ a, b }) => {
        const got = new Map<number, number>();
        b.onMessage((_from, m) => {
          const v = (m[0]! << 8) | m[1]!;
          got.set(v, (got.get(v) ?? 0) + 1);
        });
        a.onMessage(() => {});
        for (let i = 0; i < 2000; i++) a.send(b.self, Uint8Array.from([i >> 8, i & 0xff]));
        await waitFor(() => got.size === 2000);
        expect([...got.values()].every((c) => c === 1)).toBe(true);
      }),
    );

    it(
      'delivers a 1 MiB message',
      withPair(async ({ a, b }) => {
        let got: Uint8Array | undefined;
        b.onMessage((_f, m) => {
          got = m;
        });
        a.onMessage(() => {});
        const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 256);
        a.send(b.self, big);
        await waitFor(() => got !== undefined);
        expect(got?.length).toBe(big.length);
        expect(got?.every((v, i) => v === big[i])).toBe(true);
      }),
    );

    it(
      'sending to an unknown node does not throw',
      withPair(async ({ a }) => {
        expect(() => a.send('no-such-node', Uint8Array.from([1]))).not.toThrow();
      }),
    );
  });
}
