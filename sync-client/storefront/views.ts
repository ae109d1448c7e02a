/** HTML of the catalog pages (lists, product page). Every interpolated value goes through `esc`. */
import type { Category, ProductPage, ProductView } from './api.js';

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

/** Whether a product can go into the cart, and if not, why (shown next to the disabled button). */
export function addable(p: ProductView): { ok: true } | { ok: false; reason: string } {
  switch (p.availability) {
    case 'in_stock':
      return p.stock === 0 ? { ok: false, reason: 'Out of stock' } : { ok: true };
    case 'out_of_stock':
      return { ok: false, reason: 'Out of stock' };
    case 'preorder':
      return { ok: false, reason: 'Pre-order: not in stock yet' };
    case 'discontinued':
      return { ok: false, reason: 'No longer sold' };
    default:
      return { ok: false, reason: 'Not available' };
  }
}

export function availabilityText(p: ProductView): string {
  if (p.availability === 'in_stock') {
    if (p.stock === undefined) return 'In stock';
    if (p.stock === 0) return 'Out of stock';
    return p.stock <= 5 ? `Only ${p.stock} left` : `In stock (${p.stock})`;
  }
  return addable(p).ok ? 'In stock' : (addable(p) as { reason: string }).reason;
}

const image = (p: ProductView): string =>
  p.image === null
    ? '<div class="placeholder"></div>'
    : `<img src="${esc(p.image)}" alt="" loading="lazy" width="320" height="240" />`;

/** The Add button; when disabled, the availability line (`reasonId`) says why. */
function addButton(p: ProductView, id: string | undefined, reasonId: string): string {
  const idAttr = id === undefined ? '' : ` id="${id}"`;
  if (addable(p).ok) return `<button class="add"${idAttr} data-add="${esc(p.id)}">Add to cart</button>`;
  return `<button class="add"${idAttr} data-add="${esc(p.id)}" disabled aria-describedby="${esc(reasonId)}">Add to cart</button>`;
}

const reasonClass = (p: ProductView): string => (addable(p).ok ? 'availability' : 'availability reason');

/** The offline note above catalog content answered from the saved copy. */
export function staleNote(stale: boolean, savedAt: number | undefined, fromSaved = false): string {
  if (!stale) return '';
  const when =
    savedAt === undefined || savedAt === 0
      ? ''
      : ` as saved on ${new Date(savedAt).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}`;
  const which = fromSaved ? 'matches among the products saved on this device' : `the catalog${when}`;
  return `<p class="stale" id="stale">You are offline: showing ${esc(which)}. Prices and availability may have changed.</p>`;
}

export interface ListHeading {
  readonly title: string;
  /** The query the shopper typed, when the server answered a corrected one. */
  readonly typed?: string;
  readonly page: number;
  readonly prevHref?: string;
  readonly nextHref?: string;
}

export function productList(result: ProductPage, h: ListHeading): string {
  const items = result.products
    .map(
      (p) => `<li class="product" data-product-id="${esc(p.id)}" data-availability="${esc(p.availability)}">
  <a href="#/product/${encodeURIComponent(p.id)}" class="image-link" tabindex="-1">${image(p)}</a>
  <a href="#/product/${encodeURIComponent(p.id)}" class="title">${esc(p.title)}</a>
  <span class="price">${esc(money(p.priceMinor, p.currency))}</span>
  <span class="${reasonClass(p)}" id="avail-${esc(p.id)}" data-availability="${esc(p.availability)}">${esc(availabilityText(p))}</span>
  ${addButton(p, undefined, `avail-${p.id}`)}
</li>`,
    )
    .join('');
  const corrected =
    result.correctedQuery === undefined || h.typed === undefined
      ? ''
      : `<p id="corrected">Showing results for “<strong>${esc(result.correctedQuery)}</strong>”. No results for “${esc(h.typed)}”.</p>`;
  const pageSize = Math.max(result.products.length, 1);
  const pages = Math.max(1, Math.ceil(result.total / pageSize));
  const pager =
    h.prevHref === undefined && h.nextHref === undefined
      ? ''
      : `<nav class="pager" aria-label="pages">
  ${h.prevHref === undefined ? '<span></span>' : `<a id="prev-page" href="${esc(h.prevHref)}">← Previous</a>`}
  <span id="page-info">Page ${h.page}${result.nextCursor === undefined && h.page === 1 ? '' : ` of ${Math.max(pages, h.page)}`}</span>
  ${h.nextHref === undefined ? '<span></span>' : `<a id="next-page" href="${esc(h.nextHref)}">Next →</a>`}
</nav>`;
  const empty = h.typed === undefined ? 'No products here yet.' : `No products match “${esc(h.typed)}”.`;
  return `${staleNote(result.stale, result.savedAt, result.fromSaved)}
<h1>${esc(h.title)}</h1>${corrected}
<p class="count" id="result-count">${result.total} ${result.total === 1 ? 'product' : 'products'}</p>
<ul class="products" id="products">${items || `<li class="empty">${empty}</li>`}</ul>
${pager}`;
}

export function categoryMenu(categories: readonly Category[], active: string | undefined): string {
  const link = (href: string, label: string, on: boolean, slug: string) =>
    `<a href="${esc(href)}" data-category="${esc(slug)}"${on ? ' aria-current="page"' : ''}>${esc(label)}</a>`;
  return [
    link('#/', 'All products', active === undefined, ''),
    ...categories.map((c) => link(`#/c/${encodeURIComponent(c.slug)}`, c.name, c.slug === active, c.slug)),
  ].join('');
}

export function productPage(
  p: ProductView | undefined,
  inCart: number,
  stale: { stale: boolean; savedAt?: number },
): string {
  if (p === undefined) return '<h1>Product not found</h1><p><a href="#/">Back to products</a></p>';
  const d = p.details;
  const stars =
    d?.rating === undefined
      ? ''
      : `<p class="rating" id="rating" aria-label="rated ${d.rating} of 5">${'★'.repeat(Math.round(d.rating))}${'☆'.repeat(5 - Math.round(d.rating))} ${esc(d.rating.toFixed(1))}${d.reviews === undefined ? '' : ` (${esc(d.reviews.toLocaleString('en'))} reviews)`}</p>`;
  const attributes =
    d === undefined || d.attributes.length === 0
      ? ''
      : `<dl class="attributes">${d.attributes.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
  const max = Math.max(1, Math.min(99, p.stock ?? 99));
  const can = addable(p).ok;
  const partial =
    d === undefined && stale.stale ? '<p class="stale">Full details were not saved for offline use.</p>' : '';
  return `${staleNote(stale.stale, stale.savedAt)}<article id="product" data-product-id="${esc(p.id)}" data-availability="${esc(p.availability)}">
  ${image(p)}
  <div class="info">
  <h1>${esc(p.title)}</h1>
  ${d?.brand === undefined ? '' : `<p class="brand" id="brand">by ${esc(d.brand)}</p>`}
  ${stars}
  <p class="price">${esc(money(p.priceMinor, p.currency))}</p>
  <p class="${reasonClass(p)}" id="availability" data-availability="${esc(p.availability)}">${esc(availabilityText(p))}</p>
  ${partial}
  <p>${esc(p.description)}</p>
  ${attributes}
  <div class="buy">
  ${can ? `<label>Quantity <input id="quantity" class="qty" type="number" min="1" max="${max}" value="1" /></label>` : ''}
  ${addButton(p, 'add-to-cart', 'add-reason')}
  ${can ? '' : `<span class="reason" id="add-reason">${esc(availabilityText(p))}</span>`}
  </div>
  <p id="in-cart">${inCart > 0 ? `${inCart} in your cart` : ''}</p>
  </div>
</article>`;
}
