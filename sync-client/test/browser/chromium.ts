/**
 * Debian's Chromium driven by playwright-core (`npx playwright install` does not work here).
 * A missing browser is a failure, never a skip: CI installs it with apt.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildStorefront, PACKAGE_DIR } from '../../scripts/bundle.js';
import { type CartServerProcess, startCartServer } from '../support/cart-server-process.js';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}; install it (apt-get install chromium) — browser tests do not skip`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** What a browser test file gets from `useStorefront`: valid inside its tests. */
export interface StorefrontEnv {
  readonly browser: Browser;
  readonly server: CartServerProcess;
  /** Pages to screenshot on failure (see `withScreenshots`). */
  readonly pages: Page[];
}

/**
 * Registers the hooks of one browser test file: builds the storefront into a temp folder, starts
 * a real cart-server process serving it, launches Chromium; tears all three down afterwards.
 */
export function useStorefront(): StorefrontEnv {
  let browser: Browser | undefined;
  let server: CartServerProcess | undefined;
  let dist: string | undefined;
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
    if (dist !== undefined) rmSync(dist, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started: use it inside a test`);
    return value;
  };
  return {
    get browser() {
      return ready(browser, 'Chromium');
    },
    get server() {
      return ready(server, 'the cart server');
    },
    pages,
  };
}

/** Runs `body`; on failure saves a screenshot of every page under sync-client/test-results/. */
export async function withScreenshots(
  name: string,
  pages: () => Page[],
  body: () => Promise<void>,
): Promise<void> {
  try {
    await body();
  } catch (error) {
    const dir = join(PACKAGE_DIR, 'test-results');
    mkdirSync(dir, { recursive: true });
    let i = 0;
    for (const page of pages()) {
      const path = join(dir, `${name}-${i++}.png`);
      await page.screenshot({ path, fullPage: true }).catch(() => {});
      console.error(`screenshot saved: ${path}`);
    }
    throw error;
  }
}

/** The cart as the cart page shows it: "productId×quantity" per line. */
export async function shownCart(page: Page): Promise<string[]> {
  return page.$$eval('.cart-line', (rows) =>
    rows.map(
      (r) =>
        `${(r as HTMLElement).dataset.productId}×${(r.querySelector('input.qty') as HTMLInputElement).value}`,
    ),
  );
}

export async function waitForCart(page: Page, expected: string[], timeoutMs = 10_000): Promise<void> {
  const want = JSON.stringify(expected);
  await page
    .waitForFunction(
      (w) =>
        JSON.stringify(
          Array.from(document.querySelectorAll('.cart-line')).map(
            (r) =>
              `${(r as HTMLElement).dataset.productId}×${(r.querySelector('input.qty') as HTMLInputElement).value}`,
          ),
        ) === w,
      want,
      { timeout: timeoutMs, polling: 50 },
    )
    .catch(async (error: unknown) => {
      throw new Error(`cart is ${JSON.stringify(await shownCart(page))}, expected ${want}`, { cause: error });
    });
}

export async function waitForStatus(
  page: Page,
  status: 'online' | 'offline' | 'syncing',
  timeoutMs = 10_000,
): Promise<void> {
  await page.waitForSelector(`#status[data-status="${status}"]`, { timeout: timeoutMs });
}

export async function pendingBadge(page: Page): Promise<number> {
  return Number(await page.getAttribute('#pending', 'data-pending'));
}

/** Expected cart-page rows for `quantities`, in the page's order (by productId). */
export function cart(quantities: Record<string, number>): string[] {
  return Object.keys(quantities)
    .sort()
    .map((id) => `${id}×${quantities[id]}`);
}

/** Ids of the first `n` products the list page shows that can be added (in stock). */
export async function firstProducts(page: Page, n: number): Promise<string[]> {
  await page.waitForSelector('.product[data-availability="in_stock"]', { timeout: 20_000 });
  const ids = await page.$$eval('.product[data-availability="in_stock"]', (els) =>
    els.map((e) => (e as HTMLElement).dataset.productId ?? ''),
  );
  const distinct = [...new Set(ids)].slice(0, n);
  if (distinct.length < n) throw new Error(`the product list shows only ${distinct.length} products`);
  return distinct;
}
