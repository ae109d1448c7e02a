/**
 * Follows one order until it is not pending: `GET /v1/orders/:id` with a bounded backoff
 * (orders.ts `pollDelay`, for at most `POLL_FOR_MS`), handing every state to `show` while the
 * order page is on screen. Starting another watch (or leaving the page) ends the current one.
 */
import type { OrderAnswer } from './api.js';
import { type OrderView, POLL_FOR_MS, pollDelay, toOrderView } from './orders.js';

export interface WatchedOrder {
  readonly id: string;
  readonly order?: OrderView;
  /** Why the page cannot show the latest state (offline, unknown order, still pending). */
  readonly note?: string;
}

export interface OrderWatchDeps {
  /** GET the order; undefined when signed out. */
  readonly fetchOrder: ((id: string) => Promise<OrderAnswer>) | undefined;
  /** Whether the order page of `id` is on screen. */
  readonly isShown: (id: string) => boolean;
  readonly show: (state: WatchedOrder) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class OrderWatch {
  #state: WatchedOrder | undefined;
  #token = 0;
  readonly #deps: OrderWatchDeps;

  constructor(deps: OrderWatchDeps) {
    this.#deps = deps;
  }

  /** The latest state of the order being watched (or last watched). */
  get state(): WatchedOrder | undefined {
    return this.#state;
  }

  async watch(id: string): Promise<void> {
    const mine = ++this.#token;
    const { fetchOrder, isShown, show } = this.#deps;
    const sleep = this.#deps.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
    let state: WatchedOrder = { id };
    this.#state = state;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (fetchOrder === undefined) {
        state = { id, note: 'Sign in to see your orders.' };
        break;
      }
      try {
        const answer = await fetchOrder(id);
        if (mine !== this.#token) return;
        if (answer.status === 404) {
          state = { id, note: 'There is no such order for this account.' };
          break;
        }
        const order = answer.ok ? toOrderView(answer.body) : undefined;
        state =
          order === undefined
            ? { ...state, note: `The shop could not answer (HTTP ${answer.status}); retrying.` }
            : { id, order };
        if (order !== undefined && order.status !== 'pending') break;
      } catch {
        if (mine !== this.#token) return;
        state = { ...state, note: 'You are offline: the status updates when you are back online.' };
      }
      if (Date.now() - started > POLL_FOR_MS) {
        state = {
          ...state,
          note: 'Still being processed: reload this page in a few minutes to see the result.',
        };
        break;
      }
      this.#state = state;
      if (isShown(id)) show(state);
      await sleep(pollDelay(attempt));
      if (mine !== this.#token || !isShown(id)) return;
    }
    this.#state = state;
    if (mine === this.#token && isShown(id)) show(state);
  }
}
