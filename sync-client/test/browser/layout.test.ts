/**
 * The storefront's layout from 360 to 1440 px wide, in Chromium against a real server: nothing
 * wider than the viewport on any page, and the Cart link on screen. With
 * STOREFRONT_SCREENSHOTS=<dir> the 390 px pages are saved there for the README.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cart, useStorefront, waitForCart, waitForStatus, withScreenshots } from './chromium.js';

const env = useStorefront();
const SHOTS = process.env.STOREFRONT_SCREENSHOTS;

/** What sticks out: the document's width and every element whose right edge passes the viewport. */
async function overflow(page: Page): Promise<{ scrollWidth: number; offenders: string[] }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const offenders: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect();
      // Inside a horizontally scrolling strip (the category menu) is on purpose.
      if (el.closest('#categories') !== null && el.id !== 'categories') continue;
      if (r.width > 0 && r.right > width + 0.5)
        offenders.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${Math.round(r.right)}`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, offenders: offenders.slice(0, 5) };
  });
}

async function cartLinkOnScreen(page: Page, width: number): Promise<void> {
  const box = await page.locator('#cart-link').boundingBox();
  expect(box, 'Cart link').not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(width);
  expect(box!.y).toBeGreaterThanOrEqual(0);
  expect(await page.isVisible('#cart-link')).toBe(true);
}

describe('storefront layout (Chromium, real server)', () => {
  it('at 390 px nothing is off-screen on any page and the Cart link is visible', async () => {
    const width = 390;
    const context = await env.browser.newContext({ viewport: { width, height: 844 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    env.pages.push(page);
    await withScreenshots(
      'layout-390',
      () => [page],
      async () => {
        await page.goto(`${env.server.url}/?token=${env.server.userToken('narrow-1')}#/`);
        await waitForStatus(page, 'online', 20_000);
        await page.waitForSelector('.product[data-availability="in_stock"]');
        const id = await page.$eval(
          '.product[data-availability="in_stock"]',
          (e) => (e as HTMLElement).dataset.productId ?? '',
        );
        const check = async (name: string) => {
          const o = await overflow(page);
          expect(o.offenders, name).toEqual([]);
          expect(o.scrollWidth, name).toBeLessThanOrEqual(width);
          await cartLinkOnScreen(page, width);
          if (SHOTS !== undefined) {
            mkdirSync(SHOTS, { recursive: true });
            await page.screenshot({ path: join(SHOTS, `${name}-390.png`) });
          }
        };
        await check('home');
        await page.goto(`${env.server.url}/#/search/phone`);
        await page.waitForFunction(
          () => document.querySelector('#view h1')?.textContent === 'Results for “phone”',
        );
        await check('search');
        await page.goto(`${env.server.url}/#/product/${id}`);
        await page.waitForSelector(`#product[data-product-id="${id}"]`);
        await check('product');
        await page.click('#add-to-cart');
        await page.click('#cart-link');
        await waitForCart(page, cart({ [id]: 1 }));
        await check('cart');
      },
    );
  }, 120_000);

  it('360 and 1440 px: the home page and the product page fit', async () => {
    for (const width of [360, 1440]) {
      const context = await env.browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      env.pages.push(page);
      await withScreenshots(
        `layout-${width}`,
        () => [page],
        async () => {
          await page.goto(`${env.server.url}/#/`);
          await page.waitForSelector('.product[data-product-id]');
          const o = await overflow(page);
          expect(o.offenders).toEqual([]);
          expect(o.scrollWidth).toBeLessThanOrEqual(width);
          await cartLinkOnScreen(page, width);
        },
      );
      await context.close();
    }
  }, 120_000);
});
