import { afterAll, describe, expect, it } from 'vitest';
import { api, createServer, removeTempDirs, type ServerProcess, token } from './support/server-process.js';

const started: ServerProcess[] = [];
afterAll(async () => {
  for (const s of started) await s.kill();
  removeTempDirs();
});

interface CartBody {
  lines: { productId: string; quantity: number }[];
}

describe('restarting a node', () => {
  it('loses nothing acknowledged across SIGKILL (fsync always) and SIGTERM', async () => {
    // Carts only: the made-up product ids below are not in a catalog.
    const server = await createServer({ args: ['--platform', 'off'] });
    started.push(server);
    await server.start();
    const u = api(server.url, await token('restart-user'));
    // Concurrent writes, some in flight when the process dies: each acked one must survive.
    const acked = new Set<string>();
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const productId = `w${w}-${i}`;
        try {
          const res = await u('POST', '/v1/carts/main/items', { productId });
          if (res.status === 200) acked.add(productId);
        } catch {
          return; // connection refused after the kill
        }
      }
    });
    while (acked.size < 150) await new Promise((r) => setTimeout(r, 10));
    await server.kill();
    stop = true;
    await Promise.all(writers);

    await server.start();
    let lines = ((await u('GET', '/v1/carts/main')).json as CartBody).lines;
    const present = new Set(lines.map((l) => l.productId));
    const lost = [...acked].filter((p) => !present.has(p));
    expect(lost).toEqual([]);
    expect(lines.every((l) => l.quantity === 1)).toBe(true);

    // A graceful stop (drain, flush, close LevelDB) exits 0 and keeps everything too.
    await u('PUT', '/v1/carts/main/items/w0-0', { quantity: 42 });
    expect(await server.stop()).toBe(0);
    expect(server.output()).toContain('shut down cleanly');
    await server.start();
    lines = ((await u('GET', '/v1/carts/main')).json as CartBody).lines;
    expect(lines.find((l) => l.productId === 'w0-0')?.quantity).toBe(42);
    expect(lines.length).toBeGreaterThanOrEqual(acked.size);
  });

  it('refuses a bad configuration with a clear message and exit code 2', async () => {
    const bad = await createServer({ args: ['--ring-size', '100', '--w', '9'] });
    await expect(bad.start()).rejects.toThrow(
      /exited with 2[\s\S]*--ring-size \(RING_SIZE\): must be a power of two/,
    );
  });
});
