/** The crdt package's Storage and Transport conformance suites, run against the server's implementations. */

import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storageConformance, transportConformance } from '@cartwheel/crdt/testing';
import { createClusterEndpoint } from '../src/cluster/cluster-endpoint.js';
import { WsTransport } from '../src/cluster/ws-transport.js';
import { LevelStorage } from '../src/storage/level-storage.js';
import { attachUpgradeRoutes } from '../src/ws/upgrade.js';

const dirs = new Map<LevelStorage, string>();

storageConformance(
  'LevelStorage (fsync always)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cartwheel-conf-'));
    const s = await LevelStorage.open({ location: dir });
    dirs.set(s, dir);
    return s;
  },
  async (s) => {
    await (s as LevelStorage).close();
    const dir = dirs.get(s as LevelStorage);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  },
);

const SECRET = 'conformance-secret-conformance-secret';

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

transportConformance('WsTransport on loopback', async () => {
  const servers = [createServer(), createServer()];
  const ports = await Promise.all(servers.map(listen));
  const peers = new Map([
    ['a', `http://127.0.0.1:${ports[0]}`],
    ['b', `http://127.0.0.1:${ports[1]}`],
  ]);
  const [a, b] = (['a', 'b'] as const).map((self) => new WsTransport({ self, peers, secret: SECRET }));
  const endpoints = [a!, b!].map((t, i) => {
    const ep = createClusterEndpoint({
      transport: t,
      secret: SECRET,
      members: new Set(['a', 'b']),
      maxPayloadBytes: 8 * 1024 * 1024,
    });
    attachUpgradeRoutes(servers[i]!, new Map([['/v1/cluster', ep.handler]]));
    return ep;
  });
  a!.start();
  b!.start();
  return {
    a: a!,
    b: b!,
    close: async () => {
      await Promise.all([a!.close(), b!.close()]);
      for (const ep of endpoints) ep.close();
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
    },
  };
});
