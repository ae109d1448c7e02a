/**
 * The real catalog offline (issue 15 item 2), in Chromium: after one online visit, with the
 * server process stopped, home, search and product pages show the real catalog marked as
 * possibly stale — never a built-in demo catalog.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useStorefront, waitForStatus, withScreenshots } from './chromium.js';

const env = useStorefront();

/** Waits for the list titled `heading` (a hash navigation keeps the old list until then). */
const listed = (page: Page, heading: string) =>
  page.waitForFunction(
    (h) =>
      document.querySelector('#view h1')?.textContent === h && document.querySelector('.product') !== null,
    heading,
  );

const shownIds = (page: Page) =>
  page.$$eval('.product[data-product-id]', (els) =>
    els.map((e) => (e as HTMLElement).dataset.productId ?? ''),
  );

async function savedAnswers(page: Page): Promise<number> {
  return page.evaluate(async () => (await (await caches.open('cartwheel-catalog-v1')).keys()).length);
}

describe('the real catalog offline (Chromium, real server)', () => {
  it('after one online visit, with the server stopped: home, search and product pages show it, marked stale', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    env.pages.push(page);
    await withScreenshots(
      'offline-catalog',
      () => [page],
      async () => {
        // ---- one online visit: home, one search, one product page
        await page.goto(`${env.server.url}/?token=${env.server.userToken('offline-1')}#/`);
        await waitForStatus(page, 'online', 20_000);
        await page.waitForSelector('.product[data-product-id]');
        const home = await shownIds(page);
        expect(home.every((id) => /^p-\d{7}$/.test(id))).toBe(true);
        await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
          timeout: 20_000,
        });
        await page.goto(`${env.server.url}/#/search/phone`);
        await listed(page, 'Results for “phone”');
        const phone = await shownIds(page);
        const productId = home[3]!;
        await page.goto(`${env.server.url}/#/product/${productId}`);
        await page.waitForSelector(`#product[data-product-id="${productId}"]`);
        const title = await page.textContent('#product h1');
        expect(await page.$('#stale')).toBeNull();
        // The bounded slice (categories, top 100, first page of each category) is saved too.
        await page.waitForFunction(
          async () => (await (await caches.open('cartwheel-catalog-v1')).keys()).length >= 20,
          undefined,
          { timeout: 30_000, polling: 200 },
        );
        const saved = await savedAnswers(page);
        expect(saved).toBeLessThanOrEqual(500);
        const slice = (await (await fetch(`${env.server.url}/v1/search?limit=100`)).json()) as {
          items: { id: string; title: string }[];
        };
        const unopened = slice.items.find((p) => !home.includes(p.id) && p.id !== productId)!;
        // Every product of the server's catalog (200, two pages): what "the real catalog" is.
        const next = (await (await fetch(`${env.server.url}/v1/search?limit=100`)).json()) as {
          nextCursor: string;
        };
        const rest = (await (
          await fetch(`${env.server.url}/v1/search?limit=100&cursor=${encodeURIComponent(next.nextCursor)}`)
        ).json()) as { items: { id: string }[] };
        const real = new Set([...slice.items, ...rest.items].map((p) => p.id));
        expect(real.size).toBe(200);

        // ---- the server stops
        await env.server.kill();

        // A reload: the service worker serves the page, the saved catalog its products.
        await page.goto(`${env.server.url}/#/`);
        await page.reload();
        await page.waitForSelector('.product[data-product-id]');
        expect(await page.textContent('#stale')).toMatch(/offline.*may have changed/i);
        // The saved first page (its order may have moved if the ranking ran meanwhile).
        const offlineHome = await shownIds(page);
        expect(offlineHome).toHaveLength(home.length);
        expect(offlineHome.filter((id) => !real.has(id))).toEqual([]);
        expect(await page.textContent('#view')).not.toMatch(/demo|espresso/i);
        await waitForStatus(page, 'offline');
        const shots = process.env.STOREFRONT_SCREENSHOTS;
        // The catalog read found the server down: the badge says offline, not "connecting…".
        await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'offline');
        if (shots !== undefined) {
          mkdirSync(shots, { recursive: true });
          await page.screenshot({ path: join(shots, 'offline-home.png') });
        }

        await page.goto(`${env.server.url}/#/search/phone`);
        await listed(page, 'Results for “phone”');
        expect(await shownIds(page)).toEqual(phone);
        expect(await page.isVisible('#stale')).toBe(true);

        // A search not made online: matches among the saved products, said so.
        await page.goto(`${env.server.url}/#/search/smartphone`);
        await listed(page, 'Results for “smartphone”');
        expect(await page.textContent('#stale')).toContain('matches among the products saved on this device');
        const titles = await page.$$eval('.product .title', (as) => as.map((a) => a.textContent ?? ''));
        expect(titles.length).toBeGreaterThan(0);
        expect(titles.every((t) => /smartphone/i.test(t))).toBe(true);

        // The product page seen online, and one only listed online.
        await page.goto(`${env.server.url}/#/product/${productId}`);
        await page.waitForSelector(`#product[data-product-id="${productId}"]`);
        expect(await page.textContent('#product h1')).toBe(title);
        expect(await page.isVisible('#stale')).toBe(true);
        await page.goto(`${env.server.url}/#/product/${unopened.id}`);
        await page.waitForSelector(`#product[data-product-id="${unopened.id}"]`);
        expect(await page.textContent('#product h1')).toBe(unopened.title);
        expect(await page.isVisible('#stale')).toBe(true);
        expect(await page.textContent('#view')).not.toMatch(/demo|espresso|Product not found/i);
      },
    );
  }, 180_000);
});
