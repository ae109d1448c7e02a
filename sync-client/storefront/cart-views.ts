/** HTML of the cart page and the order page. Every interpolated value goes through `esc`. */
import type { CartLine } from '@cartwheel/crdt';
import { type OrderView, type Refusal, rejectionText, type TitleOf } from './orders.js';
import { esc, money } from './views.js';

/** Why "Place order" cannot be used now; undefined when it can. */
export type OrderBlock = string | undefined;

export interface CartPageState {
  readonly lines: readonly CartLine[];
  readonly titleOf: TitleOf;
  readonly block: OrderBlock;
  readonly busy: boolean;
  readonly message: string;
  readonly refusal?: Refusal;
  /** A line being cleared: asks before removing it. */
  readonly confirmRemove?: string;
  /** The last removed line, for Undo. */
  readonly undo?: { productId: string; title: string };
  readonly recent: readonly string[];
}

export function lineTitle(l: CartLine, titleOf: TitleOf): string {
  return typeof l.meta?.title === 'string' ? l.meta.title : (titleOf(l.productId) ?? l.productId);
}

export function cartPage(s: CartPageState): string {
  let total = 0;
  let currency = 'EUR';
  const rows = s.lines
    .map((l) => {
      const price = typeof l.meta?.priceMinor === 'number' ? l.meta.priceMinor : 0;
      if (typeof l.meta?.currency === 'string') currency = l.meta.currency;
      total += price * l.quantity;
      const title = lineTitle(l, s.titleOf);
      const id = esc(l.productId);
      const ask =
        s.confirmRemove === l.productId
          ? `<div class="confirm" id="confirm-remove" role="alertdialog" aria-label="remove ${esc(title)}?">
  Remove “${esc(title)}” from your cart?
  <button class="remove-confirmed" data-remove="${id}">Remove</button>
  <button class="keep" data-keep="${id}">Keep ${l.quantity}</button>
</div>`
          : '';
      return `<div class="cart-line" data-product-id="${id}">
  <a href="#/product/${encodeURIComponent(l.productId)}" class="line-title">${esc(title)}</a>
  <span class="qty-controls">
    <button class="dec" data-dec="${id}" aria-label="one less ${esc(title)}">−</button>
    <input class="qty" type="number" min="0" max="999" value="${l.quantity}" data-set="${id}" aria-label="quantity of ${esc(title)}" />
    <button class="inc" data-inc="${id}" aria-label="one more ${esc(title)}">+</button>
  </span>
  <span class="price">${esc(money(price * l.quantity, currency))}</span>
  <button class="remove" data-remove="${id}">Remove</button>
  ${ask}
</div>`;
    })
    .join('');
  const undo =
    s.undo === undefined
      ? ''
      : `<p class="undo" id="undo-bar" role="status">Removed “${esc(s.undo.title)}”. <button id="undo" data-undo="${esc(s.undo.productId)}">Undo</button></p>`;
  const disabled = s.block !== undefined || s.busy;
  const reason = s.block ?? (s.busy ? 'Placing your order…' : '');
  const refusal =
    s.refusal === undefined
      ? ''
      : `<div class="refusal" id="order-refusal" role="alert"><p>${esc(s.refusal.text)}</p>${
          s.refusal.orderId === undefined
            ? ''
            : `<p><a href="#/order/${encodeURIComponent(s.refusal.orderId)}" id="existing-order">See that order</a></p>`
        }${s.refusal.canAcceptPrices === true ? '<button id="accept-prices">Accept the new prices and order</button>' : ''}</div>`;
  const recent =
    s.recent.length === 0
      ? ''
      : `<section class="recent"><h2>Your recent orders</h2><ul>${s.recent
          .map((id) => `<li><a href="#/order/${encodeURIComponent(id)}">${esc(id)}</a></li>`)
          .join('')}</ul></section>`;
  return `<h1>Your cart</h1>
${undo}
<div id="cart">${rows || '<p class="empty">Your cart is empty.</p>'}</div>
<p class="total">Total: <strong id="total">${esc(money(total, currency))}</strong></p>
<div class="checkout">
  <button id="place-order"${disabled ? ' disabled aria-describedby="order-block"' : ''}>Place order</button>
  ${reason === '' ? '' : `<span class="reason" id="order-block">${esc(reason)}</span>`}
</div>
<p id="order-result" role="status">${esc(s.message)}</p>
${refusal}
${recent}`;
}

const HEADINGS = {
  pending: 'Order received',
  confirmed: 'Order confirmed',
  rejected: 'Order rejected',
} as const;

/** "“Mug” ×2 and “Kettle” ×1". */
function itemsText(order: OrderView): string {
  const parts = order.lines.map((l) => `“${l.title}” ×${l.quantity}`);
  if (parts.length <= 1) return parts[0] ?? 'your items';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

export function orderMessage(order: OrderView, titleOf: TitleOf): string {
  const items = itemsText(order);
  switch (order.status) {
    case 'pending':
      return `We are reserving ${items}. This page updates by itself.`;
    case 'confirmed':
      return `Thank you! Your order of ${items} is confirmed, and the ordered items leave your cart.`;
    case 'rejected': {
      const why =
        order.rejection === undefined
          ? 'The order could not be completed.'
          : rejectionText(
              order.rejection,
              (id) => order.lines.find((l) => l.productId === id)?.title ?? titleOf(id),
            );
      return `${why} Nothing was charged, and ${items} ${order.lines.length === 1 ? 'stays' : 'stay'} in your cart.`;
    }
  }
}

export interface OrderPageState {
  readonly orderId: string;
  readonly order?: OrderView;
  readonly titleOf: TitleOf;
  /** Why the page cannot show the order now (offline, not found, still pending after the wait). */
  readonly note?: string;
}

export function orderPage(s: OrderPageState): string {
  const o = s.order;
  if (o === undefined) {
    return `<article id="order" data-order-id="${esc(s.orderId)}" data-status="unknown">
<h1 id="order-status">Order ${esc(s.orderId)}</h1>
<p id="order-message">${esc(s.note ?? 'Loading the order…')}</p>
<p><a href="#/cart">Back to your cart</a></p></article>`;
  }
  const lines = o.lines
    .map(
      (l) =>
        `<li data-product-id="${esc(l.productId)}"><a href="#/product/${encodeURIComponent(l.productId)}">${esc(l.title)}</a> ×${l.quantity} <span class="price">${esc(money(l.unitPriceMinor * l.quantity, l.currency))}</span></li>`,
    )
    .join('');
  return `<article id="order" data-order-id="${esc(o.orderId)}" data-status="${esc(o.status)}">
<h1 id="order-status">${HEADINGS[o.status]}</h1>
<p class="order-id">Order <code>${esc(o.orderId)}</code></p>
<p id="order-message" class="${o.status}">${esc(orderMessage(o, s.titleOf))}</p>
${s.note === undefined ? '' : `<p class="stale" id="order-note">${esc(s.note)}</p>`}
<ul id="order-lines">${lines}</ul>
<p class="total">Total: <strong>${esc(money(o.totalMinor, o.currency))}</strong></p>
<p><a href="#/cart">Back to your cart</a> · <a href="#/">Continue shopping</a></p>
</article>`;
}
