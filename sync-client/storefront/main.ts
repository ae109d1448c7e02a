/**
 * Storefront: catalog pages (home, categories, search, product), cart and order pages, sync
 * status — plain DOM on top of @cartwheel/sync-client. Routes live in the URL hash
 * (#/, #/c/<category>, #/search/<q>, #/product/<id>, #/cart, #/order/<id>, with ?p=&c= for
 * later pages) so the server only serves static files.
 */
import type { CartLine } from '@cartwheel/crdt';
import { createBrowserReplicaStore, SyncClient } from '@cartwheel/sync-client';
import {
  categoryName,
  getOrder,
  getProduct,
  HttpError,
  listCategories,
  listProducts,
  OfflineError,
  type ProductAnswer,
  type ProductView,
  placeOrder,
  searchPath,
} from './api.js';
import { cartPage, lineTitle, orderPage } from './cart-views.js';
import { saveCatalogSlice } from './catalog-cache.js';
import { OrderWatch } from './order-watch.js';
import { type Refusal, recentOrders, refusalText, rememberOrder } from './orders.js';
import { loadSession, type Session, SIGN_IN_HELP, saveToken } from './session.js';
import { categoryMenu, esc, money, productList, productPage } from './views.js';

const CART_ID = 'default';
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const view = $('view');

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

/** Titles of the products seen in this tab: messages name products, not ids. */
const seen = new Map<string, ProductView>();
const remember = (products: readonly ProductView[]) => {
  for (const p of products) if (!seen.has(p.id) || p.details !== undefined) seen.set(p.id, p);
};
const titleOf = (id: string): string | undefined =>
  seen.get(id)?.title ??
  (() => {
    const meta = client?.get(id)?.meta;
    return typeof meta?.title === 'string' ? meta.title : undefined;
  })();

// ---- cart page state
let cartMessage = '';
let refusal: Refusal | undefined;
let busy = false;
let confirmRemove: string | undefined;
let undo: { productId: string; title: string; line: CartLine } | undefined;

// ---- product page state: one GET per product page view (re-renders reuse it)
let shownProduct: { id: string; answer: Promise<ProductAnswer> } | undefined;

function showNotice(html: string): void {
  const notice = $('notice');
  notice.innerHTML = html;
  notice.hidden = html === '';
}

function signedOutNotice(extra = ''): void {
  showNotice(
    `${extra}You are browsing as a guest: the cart needs you to sign in. ${SIGN_IN_HELP}
<form id="signin"><input id="token" aria-label="sign-in token" placeholder="paste a token" /><button>Sign in</button></form>`,
  );
}

const CONNECTING_MS = 5000;
let everOnline = false;
/** Set when a catalog read found the server unreachable: then "offline" is no guess. */
let unreachable = false;
const sawStale = (stale: boolean): void => {
  if (stale && !unreachable) {
    unreachable = true;
    renderHeader();
  }
};

function renderHeader(): void {
  const s = $('status');
  const p = $('pending');
  if (client === undefined) {
    s.hidden = true;
    s.dataset.status = 'signed-out';
    p.hidden = true;
    $('cart-count').textContent = '0';
    return;
  }
  const status = client.status;
  const pending = client.pendingCount;
  if (status === 'online') everOnline = true;
  // The first seconds of a page are spent connecting: not "offline" (in red) unless it is.
  const connecting =
    status === 'offline' &&
    !everOnline &&
    !unreachable &&
    navigator.onLine &&
    performance.now() < CONNECTING_MS;
  s.hidden = false;
  s.dataset.status = status;
  s.toggleAttribute('data-connecting', connecting);
  s.textContent = connecting ? 'connecting…' : status;
  s.title =
    status === 'offline'
      ? 'Offline: your cart is saved on this device and syncs when you are back online'
      : status === 'syncing'
        ? 'Sending your changes'
        : 'Your cart is up to date on every device';
  p.dataset.pending = String(pending);
  p.textContent = `${pending} pending`;
  p.hidden = pending === 0;
  $('cart-count').textContent = String(client.lines().reduce((n, l) => n + l.quantity, 0));
}

interface Route {
  readonly name: string;
  readonly arg: string;
  readonly params: URLSearchParams;
}

function route(): Route {
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  const [, name = '', ...rest] = path.split('/');
  return { name, arg: decodeURIComponent(rest.join('/')), params: new URLSearchParams(query) };
}

// Cursors of the pages seen, per list: "Previous" links without walking from page 1.
const cursors = new Map<string, string[]>();

function listHref(base: string, page: number, cursor: string | undefined): string {
  if (page <= 1 || cursor === undefined) return base;
  return `${base}?${new URLSearchParams({ p: String(page), c: cursor })}`;
}

async function renderList(r: Route): Promise<string> {
  const q = r.name === 'search' ? r.arg : undefined;
  const category = r.name === 'c' ? r.arg : undefined;
  const page = Math.max(1, Number(r.params.get('p') ?? '1') || 1);
  const cursor = r.params.get('c') ?? undefined;
  const base =
    q !== undefined
      ? `#/search/${encodeURIComponent(q)}`
      : category !== undefined
        ? `#/c/${encodeURIComponent(category)}`
        : '#/';
  highlightCategory(category);
  const result = await listProducts({
    ...(q === undefined ? {} : { q }),
    ...(category === undefined ? {} : { category }),
    ...(cursor === undefined || page === 1 ? {} : { cursor }),
  });
  remember(result.products);
  sawStale(result.stale);
  const chain = cursors.get(base) ?? [];
  if (page > 1 && cursor !== undefined) chain[page] = cursor;
  cursors.set(base, chain);
  const prev = page > 1 ? listHref(base, page - 1, chain[page - 1]) : undefined;
  const next = result.nextCursor === undefined ? undefined : listHref(base, page + 1, result.nextCursor);
  const title =
    q !== undefined ? `Results for “${q}”` : category !== undefined ? categoryName(category) : 'All products';
  return productList(result, {
    title,
    ...(q === undefined ? {} : { typed: q }),
    page,
    ...(prev === undefined ? {} : { prevHref: prev }),
    ...(next === undefined ? {} : { nextHref: next }),
  });
}

async function renderProduct(id: string, navigated: boolean): Promise<string> {
  if (navigated || shownProduct?.id !== id) {
    // Held as a promise, set before awaiting: a re-render (sync status, Add) while the read is
    // in flight waits for it instead of reading (and counting a view) again.
    shownProduct = { id, answer: getProduct(id, true) };
  }
  const answer = await shownProduct.answer;
  if (answer.product !== undefined) remember([answer.product]);
  sawStale(answer.stale);
  return productPage(answer.product, client?.get(id)?.quantity ?? 0, {
    stale: answer.stale,
    ...(answer.savedAt === undefined ? {} : { savedAt: answer.savedAt }),
  });
}

function orderBlock(): string | undefined {
  if (client === undefined) return 'Sign in to order.';
  if (client.lines().length === 0) return 'Your cart is empty.';
  if (client.status === 'offline')
    return 'You are offline: your cart is saved on this device, and ordering needs a connection.';
  return undefined;
}

function renderCart(): string {
  return cartPage({
    lines: client?.lines() ?? [],
    titleOf,
    block: orderBlock(),
    busy,
    message: cartMessage,
    ...(refusal === undefined ? {} : { refusal }),
    ...(confirmRemove === undefined ? {} : { confirmRemove }),
    ...(undo === undefined ? {} : { undo: { productId: undo.productId, title: undo.title } }),
    recent: recentOrders().slice(0, 5),
  });
}

// ---- order page: follows one order until it is not pending (order-watch.ts)
const orders = new OrderWatch({
  fetchOrder: session === undefined ? undefined : (id) => getOrder(session.token, id),
  isShown: (id) => route().name === 'order' && route().arg === id,
  show: (state) => {
    view.innerHTML = orderPage({ orderId: state.id, ...state, titleOf });
  },
});

function highlightCategory(active: string | undefined): void {
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('#categories a'))) {
    if ((a.dataset.category || undefined) === active) {
      a.setAttribute('aria-current', 'page');
      // The menu scrolls sideways on narrow screens: keep the current category in sight.
      const menu = $('categories');
      if (a.offsetLeft < menu.scrollLeft || a.offsetLeft + a.offsetWidth > menu.scrollLeft + menu.clientWidth)
        menu.scrollLeft = a.offsetLeft - 16;
    } else a.removeAttribute('aria-current');
  }
}

let renderToken = 0;

async function render(navigated: boolean): Promise<void> {
  const mine = ++renderToken;
  const r = route();
  let html: string;
  try {
    if (r.name === 'product') html = await renderProduct(r.arg, navigated);
    else if (r.name === 'cart') html = renderCart();
    else if (r.name === 'order') {
      highlightCategory('-');
      const watched = orders.state;
      if (navigated || watched?.id !== r.arg) void orders.watch(r.arg);
      html = orderPage({ orderId: r.arg, ...(watched?.id === r.arg ? watched : {}), titleOf });
    } else html = await renderList(r);
  } catch (error) {
    html =
      error instanceof OfflineError
        ? `<h1>You are offline</h1><p class="stale" id="stale">This page was not saved on this device. The pages and products you have seen are: <a href="#/">all products</a>, <a href="#/cart">your cart</a>.</p>`
        : error instanceof HttpError
          ? `<h1>Something went wrong</h1><p class="error">The shop answered HTTP ${error.status}. <a href="#/">Back to products</a></p>`
          : `<h1>Something went wrong</h1><p class="error">${esc(error instanceof Error ? error.message : String(error))}</p>`;
  }
  if (mine !== renderToken) return; // a newer render started meanwhile
  const active = document.activeElement;
  // Do not replace the cart form under the shopper's fingers while they type a quantity.
  if (
    !navigated &&
    active instanceof HTMLInputElement &&
    view.contains(active) &&
    active.classList.contains('qty')
  )
    return;
  view.innerHTML = html;
  if (navigated) window.scrollTo(0, 0);
}

async function addToCart(productId: string, quantity: number): Promise<void> {
  if (client === undefined) {
    signedOutNotice('<strong>Sign in to add to your cart.</strong> ');
    $('notice').scrollIntoView();
    return;
  }
  // The product on screen (list or page) carries title and price: no extra catalog read.
  const p = seen.get(productId);
  await client.add(
    productId,
    quantity,
    p === undefined ? undefined : { title: p.title, priceMinor: p.priceMinor, currency: p.currency },
  );
}

async function removeWithUndo(productId: string): Promise<void> {
  const line = client?.get(productId);
  if (client === undefined || line === undefined) return;
  confirmRemove = undefined;
  undo = { productId, title: lineTitle(line, titleOf), line };
  await client.remove(productId);
}

async function checkout(acceptPriceChanges = false): Promise<void> {
  if (client === undefined || session === undefined || orderBlock() !== undefined) return;
  busy = true;
  refusal = undefined;
  // One key per attempt, reused if the shopper retries after a network error (no double orders).
  const key = sessionStorage.getItem('cartwheel.checkoutKey') ?? crypto.randomUUID();
  sessionStorage.setItem('cartwheel.checkoutKey', key);
  try {
    cartMessage = 'Syncing your cart…';
    void render(false);
    await client.whenSynced(10_000);
    cartMessage = 'Placing your order…';
    void render(false);
    const answer = await placeOrder(session.token, CART_ID, key, acceptPriceChanges);
    const orderId = (answer.body as { orderId?: unknown } | undefined)?.orderId;
    if (answer.ok && typeof orderId === 'string') {
      sessionStorage.removeItem('cartwheel.checkoutKey');
      rememberOrder(orderId);
      cartMessage = '';
      busy = false;
      location.hash = `#/order/${encodeURIComponent(orderId)}`;
      return;
    }
    const currency = client.lines().find((l) => typeof l.meta?.currency === 'string')?.meta?.currency;
    refusal = refusalText(answer.status, answer.body, titleOf, (m) =>
      money(m, typeof currency === 'string' ? currency : 'EUR'),
    );
    cartMessage = '';
    if (answer.status < 500) sessionStorage.removeItem('cartwheel.checkoutKey');
  } catch (error) {
    cartMessage = `The order was not placed (${error instanceof Error ? error.message : 'network error'}); try again.`;
  }
  busy = false;
  void render(false);
}

view.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement).closest('button') ?? (event.target as HTMLElement);
  const d = target.dataset;
  const line = (id: string) => client?.get(id)?.quantity ?? 0;
  if (d.add !== undefined) {
    const input = document.getElementById('quantity') as HTMLInputElement | null;
    const qty = target.id === 'add-to-cart' && input !== null ? Number(input.value) || 1 : 1;
    void addToCart(d.add, Math.max(1, Math.min(Number(input?.max) || 99, Math.trunc(qty))));
  } else if (d.inc !== undefined) void client?.setQuantity(d.inc, line(d.inc) + 1);
  else if (d.dec !== undefined) {
    const q = line(d.dec);
    void (q <= 1 ? removeWithUndo(d.dec) : client?.setQuantity(d.dec, q - 1));
  } else if (d.remove !== undefined) void removeWithUndo(d.remove);
  else if (d.keep !== undefined) {
    confirmRemove = undefined;
    void render(false);
  } else if (d.undo !== undefined && undo !== undefined) {
    const { productId, line: removed } = undo;
    undo = undefined;
    void client?.add(productId, removed.quantity, removed.meta);
  } else if (target.id === 'place-order') void checkout();
  else if (target.id === 'accept-prices') void checkout(true);
});

// A quantity field: a number sets it; cleared or 0 asks before removing (never a silent removal).
view.addEventListener('change', (event) => {
  const target = event.target as HTMLInputElement;
  const id = target.dataset.set;
  if (id === undefined || client === undefined) return;
  const q = Math.trunc(Number(target.value));
  target.blur();
  if (target.value.trim() !== '' && Number.isFinite(q) && q >= 1) {
    void client.setQuantity(id, Math.min(q, 999));
    return;
  }
  confirmRemove = id;
  void render(false);
});

document.addEventListener('submit', (event) => {
  const form = event.target as HTMLElement;
  if (form.id === 'search') {
    event.preventDefault();
    const q = ($('q') as HTMLInputElement).value.trim();
    location.hash = q === '' ? '#/' : `#/search/${encodeURIComponent(q)}`;
  } else if (form.id === 'signin') {
    event.preventDefault();
    saveToken(($('token') as HTMLInputElement).value);
    location.reload();
  }
});

window.addEventListener('hashchange', () => {
  undo = undefined;
  refusal = undefined;
  confirmRemove = undefined;
  void render(true);
});
client?.subscribe(() => {
  renderHeader();
  const name = route().name;
  if (name === 'cart' || name === 'product') void render(false);
});

if (session === undefined) signedOutNotice();
renderHeader();
setTimeout(renderHeader, CONNECTING_MS + 50);
void render(true);
void listCategories().then((categories) => {
  const r = route();
  $('categories').innerHTML = categoryMenu(categories, undefined);
  highlightCategory(r.name === 'c' ? r.arg : ['', 'search'].includes(r.name) ? undefined : '-');
});
// A bounded slice of the catalog for offline use, once the page is shown.
setTimeout(() => void saveCatalogSlice(searchPath), 1500);
// Offline reloads are served from the service worker's cache (localhost counts as secure).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch((error) => console.debug('service worker:', error));
}
