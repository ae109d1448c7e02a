/**
 * Writes other nodes make to a shared catalog (the store's change feed: PostgreSQL
 * LISTEN/NOTIFY) become visible here: the cached copies this process holds are dropped, and
 * single-document writes reach the live search generations — as this node's own writes do
 * through CatalogService's hooks. Imports reach search with the next rebuild and promotion, on
 * every node alike; an interrupted feed drops every local copy (search catches up at the next
 * rebuild).
 */
import type { CachedProductReader } from '../catalog/cache/cached-reader.js';
import type { ProductChange, ProductStore } from '../catalog/store/product-store.js';
import type { SearchGenerations } from '../search/generations.js';

export interface CatalogChangeLogger {
  warn(obj: object, msg?: string): void;
}

/** Subscribes; returns the unsubscribe function (a no-op for stores without a change feed). */
export function followCatalogChanges(
  store: ProductStore,
  reader: CachedProductReader,
  generations: SearchGenerations,
  logger: CatalogChangeLogger,
): () => void {
  if (!store.supports.changeFeed) return () => undefined;
  // One refresh at a time, in arrival order: two quick writes of one id must not reach the
  // index in the opposite order.
  let searchQueue: Promise<void> = Promise.resolve();
  const refreshSearch = async (change: ProductChange): Promise<void> => {
    if (change.kind === 'delete') {
      for (const id of change.ids) generations.productRemoved(id);
      return;
    }
    const docs = await store.getMany(change.ids);
    docs.forEach((p, i) => {
      if (p !== undefined) generations.productChanged(p);
      else generations.productRemoved(change.ids[i]!);
    });
  };
  return store.watch((change) => {
    if (change.kind === 'reset') {
      reader.resetLocal();
      return;
    }
    for (const id of change.ids) reader.invalidateLocal(id);
    if (change.kind === 'import') return;
    searchQueue = searchQueue
      .then(() => refreshSearch(change))
      .catch((err: Error) =>
        logger.warn({ err: err.message, ids: change.ids }, 'search update for a remote catalog write failed'),
      );
  });
}
