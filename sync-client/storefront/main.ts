/**
 * Storefront: product list and search, product page, cart page, sync status — plain DOM on top
 * of @cartwheel/sync-client. Routes live in the URL hash (#/, #/search/<q>, #/product/<id>, #/cart)
 * so the server only has to serve static files.
 */
import { createBrowserReplicaStore, SyncClient } from '@cartwheel/sync-client';
import { getProduct, placeOrder, searchProducts } from './api.js';
import { DEMO_CATALOG } from './demo-catalog.js';
import { loadSession, type Session, saveToken } from './session.js';
import { cartPage, productList, productPage } from './views.js';

const CART_ID = 'default';
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const view = $('view');
let orderMessage = '';
let renderToken = 0;

const session: Session | undefined = loadSession();
const client =
  session === undefined
    ? undefined
    : new SyncClient({
        cartId: CART_ID,
        replicaKey: `${session.userId}/${CART_ID}`,
        store: createBrowserReplicaStore('cartwheel'),
        getUserToken: () => session.token,
        onError: (error) => console.debug('cartwheel sync:', error),
      });
// For debugging and the browser tests.
(globalThis as { cartwheel?: unknown }).cartwheel = { client, session };

function showNotice(html: string): void {
  const notice = $('notice');
  notice.innerHTML = html;
  notice.hidden = html === '';
}

if (session === undefined) {
  showNotice(
    'Not signed in: the cart is disabled. Open a sign-in link from <code>node sync-client/scripts/dev-token.ts</code> ' +
      'or paste a token: <form id="signin"><input id="token" size="40" /><button>Sign in</button></form>',
  );
  document.getElementById('signin')?.addEventListener('submit', (e) => {
    e.preventDefault();
    saveToken(($('token') as HTMLInputElement).value);
    location.reload();
  });
}

function renderHeader(): void {
  const status = client?.status ?? 'offline';
  const pending = client?.pendingCount ?? 0;
  const s = $('status');
  s.dataset.status = status;
  s.textContent = status;
  const p = $('pending');
  p.dataset.pending = String(pending);
  p.textContent = `${pending} pending`;
  p.hidden = pending === 0;
  $('cart-count').textContent = String((client?.lines() ?? []).reduce((n, l) => n + l.quantity, 0));
}

async function render(): Promise<void> {
  const mine = ++renderToken;
  const [, route = '', ...rest] = location.hash.split('/');
  const arg = decodeURIComponent(rest.join('/'));
  let html: string;
  if (route === 'product') {
    const product = await getProduct(arg);
    html = productPage(product, client?.get(arg)?.quantity ?? 0);
  } else if (route === 'cart') {
    const canOrder = client !== undefined && client.status !== 'offline';
    html = cartPage(client?.lines() ?? [], canOrder, orderMessage);
  } else {
    const q = route === 'search' ? arg : '';
    const { products, demo } = await searchProducts(q);
    html = productList(products, q === '' ? 'Products' : `Results for “${q}”`, demo);
  }
  if (mine !== renderToken) return; // a newer render started meanwhile
  const active = document.activeElement;
  // Do not replace the cart form under the shopper's fingers while they type a quantity.
  if (active instanceof HTMLInputElement && view.contains(active) && active.classList.contains('qty')) return;
  view.innerHTML = html;
}

async function addToCart(productId: string, quantity: number): Promise<void> {
  if (client === undefined) return showNotice('Sign in to use the cart.');
  const p = DEMO_CATALOG.find((d) => d.id === productId) ?? (await getProduct(productId));
  const meta =
    p === undefined ? undefined : { title: p.title, priceMinor: p.priceMinor, currency: p.currency };
  await client.add(productId, quantity, meta);
}

async function checkout(): Promise<void> {
  if (client === undefined || session === undefined) return;
  const button = $('place-order') as HTMLButtonElement;
  button.disabled = true;
  // One key per attempt, reused if the shopper retries after a network error (no double orders).
  const key = sessionStorage.getItem('cartwheel.checkoutKey') ?? crypto.randomUUID();
  sessionStorage.setItem('cartwheel.checkoutKey', key);
  try {
    orderMessage = 'Syncing your cart…';
    void render();
    await client.whenSynced(10_000);
    const answer = await placeOrder(session.token, CART_ID, key);
    if (answer.ok) {
      sessionStorage.removeItem('cartwheel.checkoutKey');
      const id = (answer.body as { orderId?: unknown } | undefined)?.orderId;
      orderMessage = `Order placed${typeof id === 'string' ? `: ${id}` : ''}.`;
    } else {
      const err = (answer.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      orderMessage =
        answer.status === 404
          ? 'Ordering is not available on this server yet.'
          : `Order failed: ${String(err?.message ?? answer.status)}`;
      if (answer.status < 500) sessionStorage.removeItem('cartwheel.checkoutKey');
    }
  } catch (error) {
    orderMessage = `Order not placed (${error instanceof Error ? error.message : 'network error'}); try again.`;
  }
  void render();
}

view.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const d = target.dataset;
  const line = (id: string) => client?.get(id)?.quantity ?? 0;
  if (d.add !== undefined) {
    const qty = target.id === 'add-to-cart' ? Number(($('quantity') as HTMLInputElement).value) || 1 : 1;
    void addToCart(d.add, Math.max(1, Math.min(99, Math.trunc(qty))));
  } else if (d.inc !== undefined) void client?.setQuantity(d.inc, line(d.inc) + 1);
  else if (d.dec !== undefined) {
    const q = line(d.dec);
    void (q <= 1 ? client?.remove(d.dec) : client?.setQuantity(d.dec, q - 1));
  } else if (d.remove !== undefined) void client?.remove(d.remove);
  else if (target.id === 'place-order') void checkout();
});

view.addEventListener('change', (event) => {
  const target = event.target as HTMLInputElement;
  const id = target.dataset.set;
  if (id === undefined || client === undefined) return;
  const q = Math.trunc(Number(target.value));
  target.blur();
  void (q >= 1 ? client.setQuantity(id, Math.min(q, 999)) : client.remove(id));
});

$('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const q = ($('q') as HTMLInputElement).value.trim();
  location.hash = q === '' ? '#/' : `#/search/${encodeURIComponent(q)}`;
});

window.addEventListener('hashchange', () => void render());
client?.subscribe(() => {
  renderHeader();
  const route = location.hash.split('/')[1];
  if (route === 'cart' || route === 'product') void render();
});
renderHeader();
void render();
// Offline reloads are served from the service worker's cache (localhost counts as secure).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch((error) => console.debug('service worker:', error));
}
