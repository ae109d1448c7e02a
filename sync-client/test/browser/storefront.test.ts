/**
 * The storefront a shopper uses, in Chromium against a real cart-server process (its seeded
 * demo catalog of 200 products): every behaviour of issue 15 item 4 the page owns. With
 * STOREFRONT_SCREENSHOTS=<dir> the test also saves the README's screenshots there.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cart, useStorefront, waitForCart, waitForStatus, withScreenshots } from './chromium.js';

const env = useStorefront();
const pages = env.pages;
const SHOTS = process.env.STOREFRONT_SCREENSHOTS;

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS === undefined) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

interface Hit {
  id: string;
  title: string;
  category: string;
  availability: string;
}
interface ProductDoc extends Hit {
  attributes: { brand: string; rating: number; reviews: number };
  availability: never;
  priceMinor: number;
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${env.server.url}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

async function open(token: string | undefined, hash: string, width = 1280): Promise<Page> {
  const context = await env.browser.newContext({ viewport: { width, height: 800 } });
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`${env.server.url}/${token === undefined ? '' : `?token=${token}`}${hash}`);
  return page;
}

const productIdsShown = (page: Page) =>
  page.$$eval('.product[data-product-id]', (els) =>
    els.map((e) => (e as HTMLElement).dataset.productId ?? ''),
  );

describe('storefront (Chromium, real server)', () => {
  it('a signed-out visitor: told how to sign in, no red offline badge; favicon, compressed and cached files, no source map', async () => {
    const page = await open(undefined, '#/');
    await withScreenshots(
      'signed-out',
      () => [page],
      async () => {
        await page.waitForSelector('.product[data-product-id]');
        const notice = (await page.textContent('#notice')) ?? '';
        expect(notice).toMatch(/sign in/i);
        expect(notice).toContain('?token=');
        expect(notice).toContain('npm run -s dev-token');
        expect(await page.isVisible('#signin input')).toBe(true);
        expect(await page.isHidden('#status')).toBe(true);
        expect(await page.$('#status[data-status="offline"]')).toBeNull();
        const favicon = await fetch(`${env.server.url}/favicon.ico`);
        expect(favicon.status).toBe(200);
        expect(favicon.headers.get('content-type')).toMatch(/icon/);
        // The page's files: compressed, cached by content hash, no source map.
        const html = await fetch(`${env.server.url}/`, { headers: { 'accept-encoding': 'br, gzip' } });
        expect(html.headers.get('cache-control')).toBe('no-cache');
        const script = /src="\.\/(app\.[0-9A-Za-z]+\.js)"/.exec(await html.text())?.[1];
        expect(script).toBeDefined();
        const js = await fetch(`${env.server.url}/${script}`, { headers: { 'accept-encoding': 'br, gzip' } });
        expect(js.headers.get('content-encoding')).toBe('br');
        expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect((await fetch(`${env.server.url}/${script}.map`)).status).toBe(404);
      },
    );
  }, 60_000);

  it('categories, pagination, availability and product details', async () => {
    const page = await open(env.server.userToken('browser-1'), '#/');
    await withScreenshots(
      'catalog',
      () => [page],
      async () => {
        await waitForStatus(page, 'online', 20_000);
        // Category menu: one link per category of /v1/categories, plus "All products".
        const { categories } = await api<{ categories: { category: string }[] }>('/v1/categories');
        await page.waitForSelector('#categories a[data-category]:not([data-category=""])');
        const menu = await page.$$eval('#categories a[data-category]', (as) =>
          as.map((a) => (a as HTMLElement).dataset.category),
        );
        expect(menu).toEqual(['', ...categories.map((c) => c.category)]);

        // Pagination over all 200 products: page 2 shows other products, Previous goes back.
        await page.waitForSelector('#next-page');
        const first = await productIdsShown(page);
        expect(first.length).toBe(24);
        expect(await page.textContent('#page-info')).toMatch(/^Page 1 of 9$/);
        await shot(page, 'home');
        await page.click('#next-page');
        await page.waitForFunction(() =>
          document.querySelector('#page-info')?.textContent?.startsWith('Page 2'),
        );
        const second = await productIdsShown(page);
        expect(second.length).toBe(24);
        expect(second.filter((id) => first.includes(id))).toEqual([]);
        await page.click('#prev-page');
        await page.waitForFunction(() =>
          document.querySelector('#page-info')?.textContent?.startsWith('Page 1'),
        );
        expect(await productIdsShown(page)).toEqual(first);

        // A category: exactly that category's products (as the API lists them).
        const category = categories[2]!.category;
        await page.click(`#categories a[data-category="${category}"]`);
        await page.waitForSelector(`#categories a[data-category="${category}"][aria-current="page"]`);
        const expected = await api<{ items: Hit[] }>(`/v1/search?limit=24&category=${category}`);
        await page.waitForFunction(
          (ids) =>
            JSON.stringify(
              Array.from(document.querySelectorAll('.product[data-product-id]')).map(
                (e) => (e as HTMLElement).dataset.productId,
              ),
            ) === ids,
          JSON.stringify(expected.items.map((h) => h.id)),
        );

        // Availability on cards: an unavailable product's Add is disabled, with the reason beside it.
        const all = await api<{ items: Hit[] }>('/v1/search?limit=100');
        const soldOut = all.items.find((h) => h.availability === 'out_of_stock');
        expect(soldOut, 'the demo catalog has an out-of-stock product in its first 100').toBeDefined();
        await page.goto(`${env.server.url}/#/search/${encodeURIComponent(soldOut!.title)}`);
        const card = `.product[data-product-id="${soldOut!.id}"]`;
        await page.waitForSelector(card);
        expect(await page.isDisabled(`${card} button.add`)).toBe(true);
        expect(await page.textContent(`${card} .availability`)).toBe('Out of stock');
        const describedBy = await page.getAttribute(`${card} button.add`, 'aria-describedby');
        expect(await page.textContent(`#${describedBy}`)).toBe('Out of stock');

        // Product page: brand, rating, stock; Add disabled with the reason next to it.
        await page.click(`${card} a.title`);
        await page.waitForSelector(`#product[data-product-id="${soldOut!.id}"]`);
        const doc = await api<ProductDoc>(`/v1/products/${soldOut!.id}`);
        expect(await page.textContent('#brand')).toContain(doc.attributes.brand);
        expect(await page.textContent('#rating')).toContain(doc.attributes.rating.toFixed(1));
        expect(await page.isDisabled('#add-to-cart')).toBe(true);
        expect(await page.textContent('#add-reason')).toBe('Out of stock');

        const inStock = all.items.find((h) => h.availability === 'in_stock')!;
        const inStockDoc = (await api<{ availability: { stock: number } }>(`/v1/products/${inStock.id}`))
          .availability;
        await page.goto(`${env.server.url}/#/product/${inStock.id}`);
        await page.waitForSelector(`#product[data-product-id="${inStock.id}"]`);
        expect(await page.textContent('#availability')).toContain(String(inStockDoc.stock));
        expect(await page.isEnabled('#add-to-cart')).toBe(true);
        await shot(page, 'product');
      },
    );
  }, 120_000);

  it('search: "showing results for" a corrected query, phones before phone cases, prices by product', async () => {
    const page = await open(env.server.userToken('browser-2'), '#/search/phne');
    await withScreenshots(
      'search',
      () => [page],
      async () => {
        await page.waitForSelector('#corrected');
        expect(await page.textContent('#corrected')).toBe(
          'Showing results for “phone”. No results for “phne”.',
        );
        const titles = await page.$$eval('.product .title', (as) => as.map((a) => a.textContent ?? ''));
        const lastPhone = titles.findLastIndex((t) => /smartphone/i.test(t));
        const firstCase = titles.findIndex((t) => /phone case/i.test(t));
        expect(lastPhone).toBeGreaterThanOrEqual(0);
        if (firstCase !== -1) expect(firstCase).toBeGreaterThan(lastPhone);
        // Prices follow what the product is.
        const cards = await page.$$eval('.product', (els) =>
          els.map(
            (e) =>
              [
                e.querySelector('.title')?.textContent ?? '',
                e.querySelector('.price')?.textContent ?? '',
              ] as const,
          ),
        );
        const euros = (price: string) => Number(price.replace(/[^0-9.]/g, ''));
        for (const [t, price] of cards) {
          if (/smartphone/i.test(t)) expect(euros(price), t).toBeGreaterThanOrEqual(100);
          if (/screen protector|phone case/i.test(t)) expect(euros(price), t).toBeLessThan(60);
        }
        await waitForStatus(page, 'online', 20_000);
        await shot(page, 'search');
      },
    );
  }, 60_000);

  it('one product view is one GET /v1/products/:id, marked as a view', async () => {
    const page = await open(env.server.userToken('browser-3'), '#/');
    await withScreenshots(
      'one-view',
      () => [page],
      async () => {
        await waitForStatus(page, 'online', 20_000);
        await page.waitForSelector('.product[data-availability="in_stock"]');
        const id = await page.$eval(
          '.product[data-availability="in_stock"]',
          (e) => (e as HTMLElement).dataset.productId ?? '',
        );
        const reads: string[] = [];
        page.on('request', (r) => {
          if (new URL(r.url()).pathname.startsWith('/v1/products/')) reads.push(r.url());
        });
        await page.click(`.product[data-product-id="${id}"] a.title`);
        await page.waitForSelector(`#product[data-product-id="${id}"]`);
        // Adding re-renders the page through sync: still no second read.
        await page.click('#add-to-cart');
        await page.waitForFunction(
          () => document.querySelector('#in-cart')?.textContent === '1 in your cart',
        );
        await waitForStatus(page, 'online');
        expect(reads.map((u) => new URL(u).pathname + new URL(u).search)).toEqual([
          `/v1/products/${id}?view=1`,
        ]);
      },
    );
  }, 60_000);

  it('cart: a cleared quantity asks, Remove has Undo, Place order says why it is disabled', async () => {
    const page = await open(env.server.userToken('browser-4'), '#/');
    await withScreenshots(
      'cart',
      () => [page],
      async () => {
        await waitForStatus(page, 'online', 20_000);
        await page.waitForSelector('.product[data-availability="in_stock"]');
        const [a = '', b = ''] = await page.$$eval('.product[data-availability="in_stock"]', (els) =>
          els.map((e) => (e as HTMLElement).dataset.productId ?? ''),
        );
        await page.click(`[data-add="${a}"]`);
        await page.click(`[data-add="${a}"]`);
        await page.click(`[data-add="${b}"]`);
        await page.click('#cart-link');
        await waitForCart(page, cart({ [a]: 2, [b]: 1 }));
        const titleA = (await page.textContent(`.cart-line[data-product-id="${a}"] .line-title`)) ?? '';
        expect(titleA).not.toBe(a);

        // Clearing the field and clicking away never removes silently: it asks.
        await page.fill(`.cart-line[data-product-id="${a}"] input.qty`, '');
        await page.click('h1');
        await page.waitForSelector('#confirm-remove');
        expect(await page.textContent('#confirm-remove')).toContain(`Remove “${titleA}”`);
        await waitForCart(page, cart({ [a]: 2, [b]: 1 }));
        await page.click('#confirm-remove .keep');
        await waitForCart(page, cart({ [a]: 2, [b]: 1 }));
        expect(await page.$('#confirm-remove')).toBeNull();
        // 0 asks too; confirming removes.
        await page.fill(`.cart-line[data-product-id="${a}"] input.qty`, '0');
        await page.press(`.cart-line[data-product-id="${a}"] input.qty`, 'Enter');
        await page.waitForSelector('#confirm-remove');
        await page.click('#confirm-remove .remove-confirmed');
        await waitForCart(page, cart({ [b]: 1 }));
        // Remove offers Undo, which brings the line back with its quantity.
        await page.click('#undo');
        await waitForCart(page, cart({ [a]: 2, [b]: 1 }));
        await page.click(`.cart-line[data-product-id="${b}"] .remove`);
        await waitForCart(page, cart({ [a]: 2 }));
        expect(await page.textContent('#undo-bar')).toContain('Removed “');
        await page.click('#undo');
        await waitForCart(page, cart({ [a]: 2, [b]: 1 }));
        await waitForStatus(page, 'online');
        await shot(page, 'cart');

        // Offline: Place order is disabled, and the page says why.
        await page.context().setOffline(true);
        await waitForStatus(page, 'offline');
        await page.waitForSelector('#place-order:disabled');
        expect(await page.textContent('#order-block')).toMatch(/offline.*ordering needs a connection/i);
        expect(await page.getAttribute('#place-order', 'aria-describedby')).toBe('order-block');
        await page.context().setOffline(false);
        await waitForStatus(page, 'online', 20_000);
        await page.waitForSelector('#place-order:enabled');
      },
    );
  }, 120_000);

  it('an order page follows the order to confirmed, and a rejection is said in words with the title', async () => {
    const user = 'browser-5';
    const page = await open(env.server.userToken(user), '#/');
    await withScreenshots(
      'order',
      () => [page],
      async () => {
        await waitForStatus(page, 'online', 20_000);
        const all = await api<{ items: Hit[] }>('/v1/search?limit=100');
        const [p1, p2] = all.items.filter((h) => h.availability === 'in_stock');
        await page.goto(`${env.server.url}/#/product/${p1!.id}`);
        await page.waitForSelector('#add-to-cart:enabled');
        await page.click('#add-to-cart');
        await page.click('#cart-link');
        await waitForCart(page, cart({ [p1!.id]: 1 }));
        await waitForStatus(page, 'online');
        await page.click('#place-order');
        // Contract: 202 { orderId } then GET /v1/orders/:id until confirmed; on confirmation the
        // server removes the bought lines from the cart, which the page sees through sync.
        await page.waitForSelector('#order[data-status="confirmed"]', { timeout: 30_000 });
        expect(await page.textContent('#order-status')).toBe('Order confirmed');
        expect(await page.textContent('#order-message')).toContain(`“${p1!.title}” ×1`);
        expect(await page.textContent('#order-lines')).toContain(p1!.title);
        const orderId = (await page.getAttribute('#order', 'data-order-id')) ?? '';
        expect(orderId).not.toBe('');
        await shot(page, 'order-confirmed');
        await page.click('a[href="#/cart"]');
        await waitForCart(page, [], 15_000);
        expect(await page.textContent('.recent')).toContain(orderId);

        // More than the stock: the order is rejected, and the page says so with the title.
        const { availability } = await api<{ availability: { stock: number } }>(`/v1/products/${p2!.id}`);
        await page.goto(`${env.server.url}/#/product/${p2!.id}`);
        await page.waitForSelector('#add-to-cart:enabled');
        await page.click('#add-to-cart');
        await page.click('#cart-link');
        await waitForCart(page, cart({ [p2!.id]: 1 }));
        const asked = availability.stock + 5;
        await page.fill(`.cart-line[data-product-id="${p2!.id}"] input.qty`, String(asked));
        await page.press(`.cart-line[data-product-id="${p2!.id}"] input.qty`, 'Enter');
        await waitForCart(page, cart({ [p2!.id]: asked }));
        await waitForStatus(page, 'online');
        await page.click('#place-order');
        await page.waitForSelector('#order[data-status="rejected"]', { timeout: 30_000 });
        expect(await page.textContent('#order-status')).toBe('Order rejected');
        const message = (await page.textContent('#order-message')) ?? '';
        expect(message).toContain(`“${p2!.title}”`);
        expect(message).toMatch(
          new RegExp(`Only ${availability.stock} of .* left; you asked for ${asked}\\.`),
        );
        expect(message).not.toMatch(/p-\d{7}/);
        await shot(page, 'order-rejected');
        // A rejected order leaves the lines in the cart.
        await page.click('a[href="#/cart"]');
        await waitForCart(page, cart({ [p2!.id]: asked }));
      },
    );
  }, 120_000);
});
