import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { decodeBatch, encodeBatch } from '../src/cluster/batch-frames.js';
import { createClusterEndpoint } from '../src/cluster/cluster-endpoint.js';
import { WsTransport } from '../src/cluster/ws-transport.js';
import { attachUpgradeRoutes } from '../src/ws/upgrade.js';

const SECRET = 'test-secret-test-secret-test-secret';

interface Node {
  id: string;
  transport: WsTransport;
  server: Server;
  received: [string, string][];
  drops: string[];
  close(): Promise<void>;
}

async function listen(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function startNode(
  id: string,
  port: number,
  peers: Map<string, string>,
  maxMessageBytes?: number,
): Promise<Node> {
  const drops: string[] = [];
  const transport = new WsTransport({
    self: id,
    peers,
    secret: SECRET,
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    onDrop: (r) => drops.push(r),
  });
  const received: [string, string][] = [];
  transport.onMessage((from, m) => received.push([from, new TextDecoder().decode(m)]));
  const server = createServer((_req, res) => res.end());
  const endpoint = createClusterEndpoint({
    transport,
    secret: SECRET,
    members: new Set(['n1', 'n2', 'n3']),
    maxPayloadBytes: 1024 * 1024,
  });
  attachUpgradeRoutes(server, new Map([['/v1/cluster', endpoint.handler]]));
  await listen(server, port);
  transport.start();
  return {
    id,
    transport,
    server,
    received,
    drops,
    close: async () => {
      await transport.close();
      endpoint.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function waitFor(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function freePorts(k: number): Promise<number[]> {
  const servers = Array.from({ length: k }, () => createServer());
  const ports = await Promise.all(servers.map((s) => listen(s)));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const open: Node[] = [];
afterEach(async () => {
  for (const n of open.splice(0)) await n.close();
});

describe('WsTransport over /v1/cluster', () => {
  it('delivers between every pair, queues while a peer is down and reconnects', async () => {
    const ports = await freePorts(3);
    const urls = new Map(['n1', 'n2', 'n3'].map((id, i) => [id, `http://127.0.0.1:${ports[i]}`]));
    const n1 = await startNode('n1', ports[0]!, urls);
    const n2 = await startNode('n2', ports[1]!, urls);
    open.push(n1, n2);
    const enc = (s: string) => new TextEncoder().encode(s);
    // n3 is down: n1's messages for it wait in the bounded queue.
    n1.transport.send('n3', enc('early'));
    await waitFor(() => n1.transport.connectedPeers().includes('n2'));
    n1.transport.send('n2', enc('hello n2'));
    n2.transport.send('n1', enc('hello n1'));
    n1.transport.send('n1', enc('loopback'));
    await waitFor(() => n2.received.length >= 1 && n1.received.length >= 2);
    expect(n2.received).toEqual([['n1', 'hello n2']]);
    expect(n1.received).toContainEqual(['n2', 'hello n1']);
    expect(n1.received).toContainEqual(['n1', 'loopback']);

    const n3 = await startNode('n3', ports[2]!, urls);
    open.push(n3);
    await waitFor(() => n3.received.some(([, m]) => m === 'early'));
    expect(n3.received[0]).toEqual(['n1', 'early']);

    // Restart n2 on the same port: n1 reconnects and traffic resumes.
    await n2.close();
    open.splice(open.indexOf(n2), 1);
    await waitFor(() => !n1.transport.connectedPeers().includes('n2'));
    const n2b = await startNode('n2', ports[1]!, urls);
    open.push(n2b);
    await waitFor(() => n1.transport.connectedPeers().includes('n2'));
    n1.transport.send('n2', enc('after restart'));
    await waitFor(() => n2b.received.some(([, m]) => m === 'after restart'));
  });

  it('learns peers at run time (setPeer) and follows a peer to a new address', async () => {
    const ports = await freePorts(3);
    const n1 = await startNode('n1', ports[0]!, new Map());
    const n2 = await startNode('n2', ports[1]!, new Map());
    open.push(n1, n2);
    const enc = (s: string) => new TextEncoder().encode(s);
    n1.transport.send('n2', enc('unknown yet'));
    expect(n1.drops).toEqual(['unknown-peer']);
    n1.transport.setPeer('n2', `http://127.0.0.1:${ports[1]}`);
    n1.transport.send('n2', enc('joined'));
    await waitFor(() => n2.received.some(([, m]) => m === 'joined'));
    // n2 moves to another port: messages sent meanwhile wait and follow it there.
    await n2.close();
    open.splice(open.indexOf(n2), 1);
    await waitFor(() => !n1.transport.connectedPeers().includes('n2'));
    n1.transport.send('n2', enc('queued'));
    const moved = await startNode('n2', ports[2]!, new Map());
    open.push(moved);
    n1.transport.setPeer('n2', `http://127.0.0.1:${ports[2]}`);
    await waitFor(() => moved.received.some(([, m]) => m === 'queued'));
    n1.transport.send('n2', enc('after the move'));
    await waitFor(() => moved.received.some(([, m]) => m === 'after the move'));
  });

  it('drops oversized messages and refuses unauthenticated or unknown nodes', async () => {
    const ports = await freePorts(2);
    const urls = new Map([
      ['n1', `http://127.0.0.1:${ports[0]}`],
      ['n2', `http://127.0.0.1:${ports[1]}`],
    ]);
    const n1 = await startNode('n1', ports[0]!, urls, 1024);
    const n2 = await startNode('n2', ports[1]!, urls);
    open.push(n1, n2);
    await waitFor(() => n1.transport.connectedPeers().includes('n2'));
    n1.transport.send('n2', new Uint8Array(2048));
    n1.transport.send('n9', new Uint8Array(1));
    expect(n1.drops).toEqual(['too-large', 'unknown-peer']);

    const status = async (headers: Record<string, string>): Promise<number> => {
      const ws = new WebSocket(`ws://127.0.0.1:${ports[0]}/v1/cluster`, { headers });
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
      ws.on('error', () => {});
      ws.terminate();
      return res.statusCode;
    };
    expect(await status({})).toBe(401);
    expect(await status({ 'x-cartwheel-node': 'n2', 'x-cartwheel-cluster': 'forged' })).toBe(401);
    const { clusterProof } = await import('../src/cluster/cluster-auth.js');
    expect(
      await status({ 'x-cartwheel-node': 'n7', 'x-cartwheel-cluster': clusterProof(SECRET, 'n7') }),
    ).toBe(403);
  });
});

describe('batch frames', () => {
  it('encode and decode in order, views without copies, and stop at damage', () => {
    const messages = [new Uint8Array(0), Uint8Array.from([1, 2, 3]), new Uint8Array(300).fill(7)];
    const frame = encodeBatch(messages);
    expect(frame.byteLength).toBe(1 + 1 + 3 + 2 + 300);
    const { messages: back, malformed } = decodeBatch(frame);
    expect(malformed).toBe(false);
    expect(back.map((m) => [...m])).toEqual(messages.map((m) => [...m]));
    expect(back[2]!.buffer).toBe(frame.buffer);
    // a truncated frame yields what came before the damage
    expect(decodeBatch(frame.subarray(0, 5))).toMatchObject({ malformed: false });
    const cut = decodeBatch(frame.subarray(0, 100));
    expect(cut.malformed).toBe(true);
    expect(cut.messages).toHaveLength(2);
    expect(decodeBatch(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).malformed).toBe(true);
  });

  it('sends the messages of one turn as one frame to a peer that accepts batches, one per frame to one that does not', async () => {
    const counts = new Map<string, { frames: number; messages: number[] }>();
    const servers: Server[] = [];
    const peer = async (id: string, batches: boolean): Promise<string> => {
      const seen = { frames: 0, messages: [] as number[] };
      counts.set(id, seen);
      const wss = new WebSocketServer({ noServer: true });
      if (batches)
        wss.on('headers', (headers, req) => {
          if (req.headers['x-cartwheel-cluster-frames'] === 'batch-1')
            headers.push('x-cartwheel-cluster-frames: batch-1');
        });
      const server = createServer();
      server.on('upgrade', (req, socket, head) =>
        wss.handleUpgrade(req, socket, head, (ws) =>
          ws.on('message', (data: Buffer) => {
            seen.frames++;
            const parts = batches ? decodeBatch(new Uint8Array(data)).messages : [new Uint8Array(data)];
            for (const m of parts) seen.messages.push(m[0]!);
          }),
        ),
      );
      servers.push(server);
      return `http://127.0.0.1:${await listen(server)}`;
    };
    const transport = new WsTransport({
      self: 'n1',
      peers: new Map([
        ['new', await peer('new', true)],
        ['old', await peer('old', false)],
      ]),
      secret: SECRET,
    });
    transport.onMessage(() => {});
    transport.start();
    try {
      await waitFor(() => transport.connectedPeers().length === 2);
      for (let i = 0; i < 50; i++) {
        transport.send('new', Uint8Array.from([i]));
        transport.send('old', Uint8Array.from([i]));
      }
      const all = Array.from({ length: 50 }, (_, i) => i);
      await waitFor(
        () => counts.get('new')!.messages.length === 50 && counts.get('old')!.messages.length === 50,
      );
      expect(counts.get('new')).toEqual({ frames: 1, messages: all });
      expect(counts.get('old')).toEqual({ frames: 50, messages: all });
    } finally {
      await transport.close();
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
    }
  });
});
