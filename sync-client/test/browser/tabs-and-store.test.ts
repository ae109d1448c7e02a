import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from '../../scripts/bundle.js';
import {
  cart,
  firstProducts,
  useStorefront,
  waitForCart,
  waitForStatus,
  withScreenshots,
} from './chromium.js';

const env = useStorefront();
const pages = env.pages;

const role = (page: Page) =>
  page.evaluate(() => (globalThis as { cartwheel?: { client?: { role: string } } }).cartwheel?.client?.role);
const actor = (page: Page) =>
  page.evaluate(
    () => (globalThis as { cartwheel?: { client?: { actor?: string } } }).cartwheel?.client?.actor,
  );

describe('Chromium', () => {
  it('IndexedDB passes the ReplicaStore conformance suite (bundled with no Node polyfills)', async () => {
    const bundle = await build({
      entryPoints: [join(PACKAGE_DIR, 'test', 'browser', 'conformance-entry.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      conditions: ['@cartwheel/source'],
      logLevel: 'warning',
    });
    const page = await env.browser.newPage();
    pages.push(page);
    await page.goto(`${env.server.url}/`);
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const results = await page.evaluate(() =>
      (
        globalThis as unknown as { runConformance: () => Promise<Array<{ name: string; error?: string }>> }
      ).runConformance(),
    );
    expect(results.length).toBeGreaterThanOrEqual(9);
    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    await page.close();
  }, 60_000);

  it('tabs of one browser share one replica with a single leader, and leadership moves on', async () => {
    const token = env.server.userToken('tabs-user');
    const context = await env.browser.newContext();
    const first = await context.newPage();
    pages.push(first);
    await first.goto(`${env.server.url}/?token=${token}#/cart`);
    await waitForStatus(first, 'online', 20_000);
    const second = await context.newPage();
    pages.push(second);
    await second.goto(`${env.server.url}/#/`);
    await waitForStatus(second, 'online', 20_000);
    await withScreenshots(
      'tabs',
      () => pages,
      async () => {
        expect(await role(first)).toBe('leader');
        expect(await role(second)).toBe('follower');
        expect(await actor(second)).toBe(await actor(first));

        const [tea = ''] = await firstProducts(second, 1);
        await second.click(`[data-add="${tea}"]`);
        await second.click(`[data-add="${tea}"]`);
        await waitForCart(first, cart({ [tea]: 2 }));
        await second.goto(`${env.server.url}/#/cart`);
        await waitForCart(second, cart({ [tea]: 2 }));

        const leaderActor = await actor(first);
        await first.close();
        await second.waitForFunction(
          () =>
            (globalThis as { cartwheel?: { client?: { role: string } } }).cartwheel?.client?.role ===
            'leader',
          undefined,
          { timeout: 10_000 },
        );
        await waitForStatus(second, 'online', 15_000);
        expect(await actor(second)).toBe(leaderActor);
        await second.click(`.cart-line[data-product-id="${tea}"] .inc`);
        await waitForCart(second, cart({ [tea]: 3 }));
        await waitForStatus(second, 'online');
        await expect
          .poll(() => env.server.cartLines('tabs-user', 'default'), { timeout: 10_000 })
          .toEqual(cart({ [tea]: 3 }));
      },
    );
    await context.close();
  }, 90_000);
});
