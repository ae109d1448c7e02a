import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  cart,
  firstProducts,
  pendingBadge,
  useStorefront,
  waitForCart,
  waitForStatus,
  withScreenshots,
} from './chromium.js';

const env = useStorefront();
const pages = env.pages;

async function device(token: string, hash: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`${env.server.url}/?token=${token}${hash}`);
  await waitForStatus(page, 'online', 20_000);
  return { context, page };
}

describe('storefront in Chromium', () => {
  it('two devices: offline changes survive a reload and converge with add-wins', async () => {
    const token = env.server.userToken('shopper-1');
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

        // Three products of the server's catalog that can be added.
        const [e = '', m = '', k = ''] = await firstProducts(a.page, 3);
        await a.page.click(`[data-add="${e}"]`);
        await a.page.click(`[data-add="${e}"]`);
        await a.page.click(`[data-add="${m}"]`);
        await waitForCart(b.page, cart({ [e]: 2, [m]: 1 }));

        await a.context.setOffline(true);
        await waitForStatus(a.page, 'offline');
        await a.page.click(`[data-add="${k}"]`);
        await a.page.click(`[data-add="${e}"]`); // concurrent with B's removal below
        await a.page.goto(`${env.server.url}/#/cart`);
        await waitForCart(a.page, cart({ [e]: 3, [k]: 1, [m]: 1 }));
        await a.page.click(`.cart-line[data-product-id="${m}"] .remove`);
        await waitForCart(a.page, cart({ [e]: 3, [k]: 1 }));
        expect(await pendingBadge(a.page)).toBeGreaterThanOrEqual(3);

        await b.page.click(`.cart-line[data-product-id="${e}"] .remove`);
        await waitForCart(b.page, cart({ [m]: 1 }));
        await waitForStatus(b.page, 'online');

        await a.page.reload();
        await waitForCart(a.page, cart({ [e]: 3, [k]: 1 }));
        await waitForStatus(a.page, 'offline');
        expect(await pendingBadge(a.page)).toBeGreaterThanOrEqual(3);
        expect(await a.page.isVisible('#pending')).toBe(true);

        await a.context.setOffline(false);
        // B removed the two it had seen of product e; A's concurrent third one survives.
        const converged = cart({ [e]: 1, [k]: 1 });
        await Promise.all([waitForCart(a.page, converged, 15_000), waitForCart(b.page, converged, 15_000)]);
        await waitForStatus(a.page, 'online');
        expect(await pendingBadge(a.page)).toBe(0);
        expect(await a.page.isHidden('#pending')).toBe(true);
        expect(await env.server.cartLines('shopper-1', 'default')).toEqual(converged);
      },
    );
  }, 120_000);

  it('search, product page, quantities and placing an order', async () => {
    const { page } = await device(env.server.userToken('shopper-2'), '#/');
    await withScreenshots(
      'order',
      () => [page],
      async () => {
        const [id = ''] = await firstProducts(page, 1);
        await page.click(`.product[data-product-id="${id}"] a.title`);
        await page.waitForSelector(`#product[data-product-id="${id}"]`);
        const title = (await page.textContent('#product h1')) ?? '';
        await page.fill('#quantity', '2');
        await page.click('#add-to-cart');
        await page.waitForFunction(
          () => document.querySelector('#in-cart')?.textContent === '2 in your cart',
        );

        await page.fill('#q', title.split(/\s+/)[0] ?? '');
        await page.click('#search button');
        await page.waitForSelector(`.product[data-product-id="${id}"]`, { timeout: 15_000 });

        await page.click('#cart-link');
        await waitForCart(page, cart({ [id]: 2 }));
        await page.click(`.cart-line[data-product-id="${id}"] .inc`);
        await waitForCart(page, cart({ [id]: 3 }));
        await waitForStatus(page, 'online');
        await page.click('#place-order');
        // The order page follows the order (storefront.test.ts asserts its states in detail).
        await page.waitForSelector('#order[data-order-id^="ord"]', { timeout: 30_000 });
        expect(await page.textContent('#order-lines')).toContain(title);
      },
    );
  }, 120_000);
});
