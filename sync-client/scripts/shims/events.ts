/**
 * Browser stand-in for Node's `events` in our bundles. abstract-level extends EventEmitter and
 * only ever calls `emit` (opening, open, closing, closed, write, clear); this client subscribes
 * to none of them. A dozen lines instead of the 6 KB `events` polyfill keeps the client within
 * its 30 KiB gzip budget; the IndexedDB conformance suite runs against this shim in Chromium.
 */
type Listener = (...args: unknown[]) => void;

export class EventEmitter {
  readonly #listeners = new Map<string | symbol, Listener[]>();

  on(event: string | symbol, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: string | symbol, listener: Listener): this {
    const wrapper: Listener = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off(event: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (list !== undefined)
      this.#listeners.set(
        event,
        list.filter((l) => l !== listener),
      );
    return this;
  }

  removeListener(event: string | symbol, listener: Listener): this {
    return this.off(event, listener);
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event);
    if (list === undefined || list.length === 0) return false;
    for (const l of list) l.apply(this, args);
    return true;
  }

  listenerCount(event: string | symbol): number {
    return this.#listeners.get(event)?.length ?? 0;
  }
}

export default { EventEmitter };
