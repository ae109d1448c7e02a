/**
 * The scenario in a real browser against a real cart-server process: two browser contexts are two devices of one user.
 * A goes offline, changes the cart, reloads (the cart comes back from IndexedDB, the page from
 * the service worker); B changes the same cart online; A comes back; both pages converge, and
 * the item B removed while A added it again is present (add-wins).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStorefront } from '../../scripts/bundle.js';
import { type CartServerProcess, startCartServer } from '../support/cart-server-process.js';
import { launchChromium, pendingBadge, waitForCart, waitForStatus, withScreenshots } from './chromium.js';

let browser: Browser;
let server: CartServerProcess;
let dist: string;
const pages: Page[] = [];

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'cw-storefront-'));
  await buildStorefront(dist);
  server = await startCartServer({ storefrontDir: dist });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  rmSync(dist, { recursive: true, force: true });
});

async function device(token: string, hash: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`${server.url}/?token=${token}${hash}`);
  await waitForStatus(page, 'online', 20_000);
  return { context, page };
}

describe('storefront in Chromium', () => {
  it('two devices: offline changes survive a reload and converge with add-wins', async () => {
    const token = server.userToken('shopper-1');
    const a = await device(token, '#/');
    const b = await device(token, '#/cart');
    await withScreenshots(
      'two-devices',
      () => pages,
      async () => {
        // The page must be served by the service worker before A can reload offline.
        await a.page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
          timeout: 20_000,
        });

        await a.page.click('[data-add="demo-espresso"]');
        await a.page.click('[data-add="demo-espresso"]');
        await a.page.click('[data-add="demo-mug"]');
        await waitForCart(b.page, ['demo-espresso×2', 'demo-mug×1']);

        await a.context.setOffline(true);
        await waitForStatus(a.page, 'offline');
        await a.page.click('[data-add="demo-kettle"]');
        await a.page.click('[data-add="demo-espresso"]'); // concurrent with B's removal below
        await a.page.goto(`${server.url}/#/cart`);
        await waitForCart(a.page, ['demo-espresso×3', 'demo-kettle×1', 'demo-mug×1']);
        await a.page.click('.cart-line[data-product-id="demo-mug"] .remove');
        await waitForCart(a.page, ['demo-espresso×3', 'demo-kettle×1']);
        expect(await pendingBadge(a.page)).toBeGreaterThanOrEqual(3);

        await b.page.click('.cart-line[data-product-id="demo-espresso"] .remove');
        await waitForCart(b.page, ['demo-mug×1']);
        await waitForStatus(b.page, 'online');

        await a.page.reload();
        await waitForCart(a.page, ['demo-espresso×3', 'demo-kettle×1']);
        await waitForStatus(a.page, 'offline');
        expect(await pendingBadge(a.page)).toBeGreaterThanOrEqual(3);
        expect(await a.page.isVisible('#pending')).toBe(true);

        await a.context.setOffline(false);
        // B removed the two espressos it had seen; A's concurrent third one survives.
        const converged = ['demo-espresso×1', 'demo-kettle×1'];
        await Promise.all([waitForCart(a.page, converged, 15_000), waitForCart(b.page, converged, 15_000)]);
        await waitForStatus(a.page, 'online');
        expect(await pendingBadge(a.page)).toBe(0);
        expect(await a.page.isHidden('#pending')).toBe(true);
        expect(await server.cartLines('shopper-1', 'default')).toEqual(converged);
      },
    );
  }, 120_000);
});
