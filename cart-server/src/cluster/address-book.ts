/**
 * Where each node of the cluster listens: node id → base URL. The ring names members by id only
 * (riak_core names nodes by an Erlang node name that is also its address); here the address
 * travels beside it, learnt from
 *  - `--peers` at start (the members a cluster was created with),
 *  - a join: the member handling it records the joining node's URL and hands the joiner the
 *    whole book,
 *  - every cluster connection: a dialling node sends its own URL (`x-cartwheel-url`), so the
 *    members a joiner dials learn where it is without any other round.
 * The book is persisted in the node's storage (namespace `cluster`), so a restarted node reaches
 * the members that joined after it was first configured. A node's own report of its URL wins
 * over second-hand ones.
 */
import type { NodeId, Storage } from '@cartwheel/crdt';
import { normalizeNodeUrl } from '../config/config.js';

/** The storage namespace of the cart server's cluster metadata (addresses, joined settings). */
export const CLUSTER_NS = 'cluster';
const ADDRESSES_KEY = 'addresses';

export class AddressBook {
  private readonly urls = new Map<NodeId, string>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly storage: Storage,
    private readonly onChange: (node: NodeId, url: string) => void,
  ) {}

  /** The persisted book with `initial` (configured peers) on top; `onChange` hears later changes. */
  static async open(
    storage: Storage,
    initial: Readonly<Record<NodeId, string>>,
    onChange: (node: NodeId, url: string) => void,
  ): Promise<AddressBook> {
    const book = new AddressBook(storage, onChange);
    const bytes = await storage.get(CLUSTER_NS, 0, ADDRESSES_KEY);
    if (bytes !== undefined) {
      try {
        const saved = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
        if (typeof saved === 'object' && saved !== null)
          for (const [node, url] of Object.entries(saved)) book.put(node, url, true);
      } catch {
        // an unreadable book is rebuilt from --peers, joins and connections
      }
    }
    for (const [node, url] of Object.entries(initial)) book.put(node, url, true);
    return book;
  }

  get(node: NodeId): string | undefined {
    return this.urls.get(node);
  }

  has(node: NodeId): boolean {
    return this.urls.has(node);
  }

  /** Every known address, by node id. */
  entries(): Record<NodeId, string> {
    return Object.fromEntries([...this.urls].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** A node's address as that node reported it (or as an operator gave it): replaces what was known. */
  set(node: NodeId, url: string): boolean {
    return this.put(node, url, true);
  }

  /** Addresses heard second-hand (another member's book): only fill the gaps. */
  merge(entries: Readonly<Record<NodeId, unknown>>): void {
    for (const [node, url] of Object.entries(entries)) this.put(node, url, false);
  }

  private put(node: NodeId, raw: unknown, replace: boolean): boolean {
    if (typeof node !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(node) || typeof raw !== 'string')
      return false;
    const url = normalizeNodeUrl(raw);
    if (url === undefined) return false;
    const known = this.urls.get(node);
    if (known === url || (known !== undefined && !replace)) return false;
    this.urls.set(node, url);
    this.onChange(node, url);
    this.persist();
    return true;
  }

  private persist(): void {
    const bytes = new TextEncoder().encode(JSON.stringify(this.entries()));
    // Writes in order; a failed write is retried by the next change (the book is a cache of facts
    // the cluster re-teaches on every connection).
    this.writing = this.writing
      .then(() => this.storage.put(CLUSTER_NS, 0, ADDRESSES_KEY, bytes))
      .catch(() => {});
  }

  /** Settles once every change so far is stored. */
  flushed(): Promise<void> {
    return this.writing;
  }
}
