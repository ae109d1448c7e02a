/**
 * Orders as the shopper reads them: the order document of `GET /v1/orders/:id`, checkout
 * refusals and rejections put into words with product titles (never a bare product id when a
 * title is known), and the bounded backoff the order page polls with.
 */

export interface OrderLineView {
  readonly productId: string;
  readonly title: string;
  readonly quantity: number;
  readonly unitPriceMinor: number;
  readonly currency: string;
}

export interface Rejection {
  readonly reason: string;
  readonly productId?: string;
  readonly title?: string;
  readonly requested?: number;
  readonly available?: number;
  readonly message?: string;
}

export interface OrderView {
  readonly orderId: string;
  readonly status: 'pending' | 'confirmed' | 'rejected';
  readonly lines: OrderLineView[];
  readonly totalMinor: number;
  readonly currency: string;
  readonly createdAt?: string | number;
  readonly processedAt?: string | number;
  readonly rejection?: Rejection;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function toOrderView(raw: unknown): OrderView | undefined {
  const o = raw as Record<string, unknown> | undefined;
  const orderId = str(o?.orderId);
  const status = str(o?.status);
  if (
    o === undefined ||
    orderId === undefined ||
    !['pending', 'confirmed', 'rejected'].includes(status ?? '')
  )
    return undefined;
  const lines = (Array.isArray(o.lines) ? o.lines : []).flatMap((l): OrderLineView[] => {
    const line = l as Record<string, unknown>;
    const productId = str(line.productId);
    if (productId === undefined) return [];
    return [
      {
        productId,
        title: str(line.title) ?? productId,
        quantity: num(line.quantity) ?? 0,
        unitPriceMinor: num(line.unitPriceMinor) ?? 0,
        currency: str(line.currency) ?? 'EUR',
      },
    ];
  });
  const r = o.rejection as Record<string, unknown> | undefined;
  const rejection: Rejection | undefined =
    typeof r === 'object' && r !== null && typeof r.reason === 'string'
      ? {
          reason: r.reason,
          ...(str(r.productId) === undefined ? {} : { productId: str(r.productId)! }),
          ...(str(r.title) === undefined ? {} : { title: str(r.title)! }),
          ...(num(r.requested) === undefined ? {} : { requested: num(r.requested)! }),
          ...(num(r.available) === undefined ? {} : { available: num(r.available)! }),
          ...(str(r.message) === undefined ? {} : { message: str(r.message)! }),
        }
      : undefined;
  return {
    orderId,
    status: status as OrderView['status'],
    lines,
    totalMinor: num(o.totalMinor) ?? lines.reduce((n, l) => n + l.unitPriceMinor * l.quantity, 0),
    currency: str(o.currency) ?? lines[0]?.currency ?? 'EUR',
    ...(o.createdAt === undefined ? {} : { createdAt: o.createdAt as string }),
    ...(o.processedAt === undefined ? {} : { processedAt: o.processedAt as string }),
    ...(rejection === undefined ? {} : { rejection }),
  };
}

/** Title of a product for a message: the order's or cart's title, else a neutral phrase. */
export type TitleOf = (productId: string) => string | undefined;

const quote = (t: string): string => `“${t}”`;

function named(productId: string | undefined, title: string | undefined, titleOf: TitleOf): string {
  const t = title ?? (productId === undefined ? undefined : titleOf(productId));
  return t === undefined ? 'one of the items' : quote(t);
}

/** Why an order was rejected, in words. */
export function rejectionText(r: Rejection, titleOf: TitleOf): string {
  const what = named(r.productId, r.title, titleOf);
  switch (r.reason) {
    case 'INSUFFICIENT_STOCK':
      if (r.available !== undefined && r.requested !== undefined) {
        return r.available === 0
          ? `${what} sold out before we could reserve it (you asked for ${r.requested}).`
          : `Only ${r.available} of ${what} ${r.available === 1 ? 'was' : 'were'} left; you asked for ${r.requested}.`;
      }
      return `Not enough of ${what} was in stock.`;
    case 'UNKNOWN_PRODUCT':
      return `${what[0]?.toUpperCase()}${what.slice(1)} is no longer sold.`;
    case 'ALREADY_ORDERED':
      return 'These items were already bought in another order.';
    case 'INVALID_ORDER':
      return `The order could not be processed${r.message === undefined ? '' : `: ${r.message}`}.`;
    default:
      return r.message ?? 'The order could not be completed.';
  }
}

export interface Refusal {
  /** What the page says. */
  readonly text: string;
  /** An order the refusal points to (CART_ALREADY_ORDERED). */
  readonly orderId?: string;
  /** PRICE_CHANGED: the shopper can accept the new prices and order again. */
  readonly canAcceptPrices?: boolean;
}

const list = (ids: unknown, titleOf: TitleOf): string => {
  const names = (Array.isArray(ids) ? ids : []).map((id) => named(String(id), undefined, titleOf));
  return names.length === 0 ? 'some items' : names.join(', ');
};

/** A refused checkout (`POST /v1/orders` 4xx/5xx) in words, with product titles. */
export function refusalText(
  status: number,
  body: unknown,
  titleOf: TitleOf,
  money: (minor: number) => string,
): Refusal {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  const code = str(error?.code);
  const details = (error?.details ?? {}) as Record<string, unknown>;
  switch (code) {
    case 'CART_ALREADY_ORDERED': {
      const orderId = str(details.orderId);
      return { text: 'These items are already in an order.', ...(orderId === undefined ? {} : { orderId }) };
    }
    case 'EMPTY_CART':
      return { text: 'Your cart is empty: add something first.' };
    case 'PRICE_CHANGED': {
      const changed = (Array.isArray(details.changed) ? details.changed : []) as Array<
        Record<string, unknown>
      >;
      const parts = changed.map((c) => {
        const name = named(str(c.productId), undefined, titleOf);
        const now = num(c.currentPriceMinor);
        const was = num(c.cartPriceMinor);
        return now === undefined || was === undefined ? name : `${name} from ${money(was)} to ${money(now)}`;
      });
      return {
        text: `Prices changed since you added them: ${parts.length === 0 ? 'some items' : parts.join(', ')}. Review and order again.`,
        canAcceptPrices: true,
      };
    }
    case 'PRODUCT_NOT_FOUND':
      return { text: `No longer sold: ${list(details.missing, titleOf)}. Remove it to order the rest.` };
    case 'OUT_OF_STOCK':
      return { text: `Out of stock: ${list(details.unavailable, titleOf)}. Remove it to order the rest.` };
    case 'UNAUTHORIZED':
      return { text: 'Your sign-in has expired: sign in again to order.' };
    default:
      if (status === 404) return { text: 'Ordering is not available on this server.' };
      if (status >= 500)
        return { text: 'The shop could not take the order just now; try again in a moment.' };
      return { text: `The order was not placed: ${str(error?.message) ?? `error ${status}`}.` };
  }
}

/** Delay before poll number `attempt` (0-based): 0.5 s doubling to 5 s. */
export function pollDelay(attempt: number): number {
  return Math.min(5000, 500 * 2 ** attempt);
}

/** How long the page keeps polling a pending order before asking the shopper to come back. */
export const POLL_FOR_MS = 3 * 60 * 1000;

const RECENT_KEY = 'cartwheel.recentOrders';

/** The shopper's recent order ids on this browser, newest first. */
export function recentOrders(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberOrder(orderId: string): void {
  const ids = [orderId, ...recentOrders().filter((id) => id !== orderId)].slice(0, 10);
  localStorage.setItem(RECENT_KEY, JSON.stringify(ids));
}
