/**
 * Offline-first from the first start, in Chromium (issue 15): an empty browser profile whose
 * cart server is unreachable — the page is served by a front (as an installed app's shell
 * would be) that proxies /v1 to a cart server that is not running yet. The client becomes ready,
 * takes adds, keeps them across a reload (IndexedDB), and when the server comes up claims its
 * actor and syncs: the server holds the lines, every dot of them this device's actor. And two
 * browsers' concurrent set-quantity and remove keep the surviving line's title and price.
 */
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { decodeContext } from '@cartwheel/crdt';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from '../../scripts/bundle.js';
import { type CartServerProcess, startCartServer } from '../support/cart-server-process.js';
import { launchChromium, withScreenshots } from './chromium.js';

type Browser = Awaited<ReturnType<typeof launchChromium>>;

let browser: Browser | undefined;
let server: CartServerProcess | undefined;
let front: Server | undefined;
let frontUrl = '';
const pages: Page[] = [];
let started = false;

/** Serves the test page and forwards /v1 (HTTP and WebSocket upgrades) to the cart server's port. */
async function startFront(appJs: string, serverPort: number): Promise<void> {
  const html =
    '<!doctype html><meta charset="utf-8"><title>first start</title><script src="/app.js"></script>';
  front = createServer((req, res) => {
    if (req.url?.startsWith('/v1/')) {
      const upstream = request(
        { host: '127.0.0.1', port: serverPort, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"SERVICE_UNAVAILABLE","message":"the cart server is unreachable"}}');
      });
      req.pipe(upstream);
      return;
    }
    const body = req.url === '/app.js' ? appJs : html;
    res.writeHead(200, { 'content-type': req.url === '/app.js' ? 'text/javascript' : 'text/html' });
    res.end(body);
  });
  front.on('upgrade', (req, socket, head) => {
    const upstream = connect(serverPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => front!.listen(0, '127.0.0.1', resolve));
  const address = front.address();
  frontUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [join(PACKAGE_DIR, 'test', 'browser', 'first-start-entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    conditions: ['@cartwheel/source'],
    logLevel: 'warning',
  });
  server = await startCartServer({ deferStart: true }); // its port is reserved, nothing listens
  await startFront(bundle.outputFiles[0]!.text, server.port);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  await new Promise<void>((resolve) => (front === undefined ? resolve() : front.close(() => resolve())));
});

interface PageClient {
  ready: Promise<void>;
  actor?: string;
  status: string;
  pendingCount: number;
  add(productId: string, quantity: number, meta?: Record<string, string | number>): Promise<void>;
  setQuantity(productId: string, quantity: number): Promise<void>;
  remove(productId: string): Promise<void>;
  get(productId: string): { productId: string; quantity: number; meta?: unknown } | undefined;
  connect(): void;
  disconnect(): void;
  lines(): Array<{ productId: string; quantity: number; meta?: unknown }>;
  whenSynced(timeoutMs: number): Promise<void>;
}
const inPage = <T>(page: Page, fn: (client: PageClient) => T | Promise<T>): Promise<T> =>
  page.evaluate(async (source) => {
    const client = (globalThis as unknown as { client: PageClient }).client;
    await client.ready;
    const run = new Function(`return (${source})`)() as (c: PageClient) => unknown;
    return run(client);
  }, fn.toString()) as Promise<T>;

describe('Chromium, first start', () => {
  it('empty profile, server unreachable: add, reload, then connect — the server has the lines, attributed to this device', async () => {
    const srv = server!;
    const user = 'chromium-first-start';
    const context = await browser!.newContext(); // an empty profile
    const page = await context.newPage();
    pages.push(page);
    await withScreenshots(
      'first-start',
      () => pages,
      async () => {
        await page.goto(`${frontUrl}/?token=${srv.userToken(user)}`);
        const actor = await inPage(page, (c) => c.actor);
        expect(actor).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        await inPage(page, async (c) => {
          await c.add('p-0000001', 2, { title: 'first product', priceMinor: 1999, currency: 'EUR' });
          await c.add('p-0000002', 1);
        });
        expect(await inPage(page, (c) => [c.status, c.pendingCount])).toEqual(['offline', 2]);

        await page.reload();
        expect(await inPage(page, (c) => c.actor)).toBe(actor);
        expect(await inPage(page, (c) => c.lines().map((l) => `${l.productId}×${l.quantity}`))).toEqual([
          'p-0000001×2',
          'p-0000002×1',
        ]);
        expect(await inPage(page, (c) => c.pendingCount)).toBe(2);

        await srv.start();
        started = true;
        await inPage(page, (c) => c.whenSynced(60_000));
        expect(await inPage(page, (c) => c.actor)).toBe(actor);
        expect(await srv.cartLines(user, 'main')).toEqual(['p-0000001×2', 'p-0000002×1']);
        const headers = { authorization: `Bearer ${srv.userToken(user)}` };
        const cart = (await (await fetch(`${srv.url}/v1/carts/main`, { headers })).json()) as {
          context: string;
          lines: Array<{ productId: string; meta?: unknown }>;
        };
        const ctx = decodeContext(new Uint8Array(Buffer.from(cart.context, 'base64')));
        expect([...ctx.versionVector().keys()]).toEqual([actor]);
        expect(cart.lines[0]?.meta).toEqual({ title: 'first product', priceMinor: 1999, currency: 'EUR' });
      },
    );
    await context.close();
  }, 120_000);

  it('two browsers: A offline sets P2 to 3 while B removes P2 — after the merge P2 ×3 keeps its title and price', async () => {
    const srv = server!;
    if (!started) {
      await srv.start();
      started = true;
    }
    const user = 'chromium-set-remove';
    const meta = { title: 'second product', priceMinor: 1299, currency: 'EUR' };
    const devices = await Promise.all([browser!.newContext(), browser!.newContext()]);
    const [a, b] = await Promise.all(devices.map((d) => d.newPage()));
    pages.push(a!, b!);
    await withScreenshots(
      'set-remove',
      () => pages,
      async () => {
        for (const page of [a!, b!]) await page.goto(`${frontUrl}/?token=${srv.userToken(user)}`);
        await inPage(a!, (c) =>
          c.add('p-0000001', 1, { title: 'first product', priceMinor: 1999, currency: 'EUR' }),
        );
        await a!.evaluate(async (m) => {
          const c = (globalThis as unknown as { client: PageClient }).client;
          await c.add('p-0000002', 1, m);
          await c.whenSynced(30_000);
          c.disconnect();
          await c.setQuantity('p-0000002', 3); // offline
        }, meta);
        await b!.waitForFunction(
          () => (globalThis as unknown as { client: PageClient }).client.get('p-0000002') !== undefined,
          undefined,
          { timeout: 30_000, polling: 50 },
        );
        await inPage(b!, async (c) => {
          await c.remove('p-0000002');
          await c.whenSynced(30_000);
        });
        await inPage(a!, async (c) => {
          c.connect();
          await c.whenSynced(30_000);
        });
        await b!.waitForFunction(
          () => (globalThis as unknown as { client: PageClient }).client.get('p-0000002')?.quantity === 3,
          undefined,
          { timeout: 30_000, polling: 50 },
        );
        for (const page of [a!, b!]) {
          const line = await inPage(page, (c) => c.get('p-0000002'));
          expect(line).toEqual({ productId: 'p-0000002', quantity: 3, meta });
          const total = await inPage(page, (c) =>
            c
              .lines()
              .reduce(
                (sum, l) => sum + l.quantity * Number((l.meta as { priceMinor?: number })?.priceMinor),
                0,
              ),
          );
          expect(total).toBe(1999 + 3 * 1299);
        }
      },
    );
    await Promise.all(devices.map((d) => d.close()));
  }, 120_000);
});
