/** HTML of the storefront's pages. Every interpolated value goes through `esc`. */
import type { CartLine } from '@cartwheel/crdt';
import type { ProductView } from './demo-catalog.js';

export function esc(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export function money(minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

const image = (p: ProductView): string =>
  p.image === null
    ? '<div class="placeholder"></div>'
    : `<img src="${esc(p.image)}" alt="" loading="lazy" />`;

export function productList(products: readonly ProductView[], heading: string, demo: boolean): string {
  const items = products
    .map(
      (p) => `<li class="product" data-product-id="${esc(p.id)}">
  ${image(p)}
  <a href="#/product/${encodeURIComponent(p.id)}" class="title">${esc(p.title)}</a>
  <span class="price">${esc(money(p.priceMinor, p.currency))}</span>
  <button class="add" data-add="${esc(p.id)}">Add to cart</button>
</li>`,
    )
    .join('');
  return `<h1>${esc(heading)}</h1>${demo ? '<p class="demo">Demo catalog (the catalog service is not available).</p>' : ''}
<ul class="products" id="products">${items || '<li>No products found.</li>'}</ul>`;
}

export function productPage(p: ProductView | undefined, inCart: number): string {
  if (p === undefined) return '<h1>Product not found</h1><p><a href="#/">Back to products</a></p>';
  return `<article id="product" data-product-id="${esc(p.id)}">
  ${image(p)}
  <h1>${esc(p.title)}</h1>
  <p class="price">${esc(money(p.priceMinor, p.currency))}</p>
  <p>${esc(p.description)}</p>
  <p>Availability: ${esc(p.availability.replace(/_/g, ' '))}</p>
  <label>Quantity <input id="quantity" class="qty" type="number" min="1" max="99" value="1" /></label>
  <button id="add-to-cart" data-add="${esc(p.id)}">Add to cart</button>
  <p id="in-cart">${inCart > 0 ? `${inCart} in your cart` : ''}</p>
</article>`;
}

export function cartPage(lines: readonly CartLine[], canOrder: boolean, orderMessage: string): string {
  let total = 0;
  let currency = 'EUR';
  const rows = lines
    .map((l) => {
      const price = typeof l.meta?.priceMinor === 'number' ? l.meta.priceMinor : 0;
      if (typeof l.meta?.currency === 'string') currency = l.meta.currency;
      total += price * l.quantity;
      const title = typeof l.meta?.title === 'string' ? l.meta.title : l.productId;
      return `<div class="cart-line" data-product-id="${esc(l.productId)}">
  <a href="#/product/${encodeURIComponent(l.productId)}">${esc(title)}</a>
  <span>
    <button class="dec" data-dec="${esc(l.productId)}" aria-label="one less">−</button>
    <input class="qty" type="number" min="1" value="${l.quantity}" data-set="${esc(l.productId)}" aria-label="quantity" />
    <button class="inc" data-inc="${esc(l.productId)}" aria-label="one more">+</button>
  </span>
  <span class="price">${esc(money(price * l.quantity, currency))}</span>
  <button class="remove" data-remove="${esc(l.productId)}">Remove</button>
</div>`;
    })
    .join('');
  return `<h1>Your cart</h1>
<div id="cart">${rows || '<p class="empty">Your cart is empty.</p>'}</div>
<p>Total: <strong id="total">${esc(money(total, currency))}</strong></p>
<button id="place-order" ${canOrder && lines.length > 0 ? '' : 'disabled'}>Place order</button>
<p id="order-result">${esc(orderMessage)}</p>`;
}
