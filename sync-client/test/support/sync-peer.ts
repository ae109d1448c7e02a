/**
 * A minimal in-test server that speaks the sync protocol of SPEC §3 (hello/welcome, delta/ack,
 * pushes, errors) plus POST /v1/devices, with a crdt Cart per `${user}/${cartId}`. It lets the
 * client be tested before and independently of the real cart server, and it can misbehave on
 * demand (drop connections, delay acks, expire tokens, forget its state).
 *
 * User tokens are "user:<id>" or any JWT (its `sub` is trusted unverified: this is a test peer);
 * device tokens are opaque random strings. With `staticDir` it also serves the storefront.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import {
  Cart,
  decodeCartDelta,
  decodeContext,
  encodeCartDelta,
  encodeContext,
  encodeServerFrame,
  newDots,
  parseClientFrame,
  type ServerFrame,
} from '@cartwheel/crdt';
import { type WebSocket, WebSocketServer } from 'ws';

interface Device {
  readonly user: string;
  readonly actor: string;
}

interface Session {
  readonly socket: WebSocket;
  readonly device: Device;
  cartKey?: string;
}

export interface PeerStats {
  /** Bytes of client→server delta frames (text length) and their count. */
  deltaFrameBytes: number;
  deltaFrames: number;
  welcomeFrameBytes: number;
  hellos: number;
  registrations: number;
  connections: number;
}

export interface SyncPeer {
  readonly url: string;
  readonly port: number;
  readonly carts: Map<string, Cart>;
  readonly stats: PeerStats;
  /** Delay before each ack (ms). */
  ackDelayMs: number;
  /** When true, deltas are stored but never acknowledged. */
  holdAcks: boolean;
  /** Product ids the peer's "catalog" lacks: a delta bringing one in is refused (PRODUCT_NOT_FOUND). */
  readonly unknownProducts: Set<string>;
  cart(user: string, cartId: string): Cart;
  /** Forget every device token (the next connect must refresh credentials). */
  revokeTokens(): void;
  /** Forget every device token and actor binding (a server that lost its device records). */
  forgetDevices(): void;
  /** Close every client socket abruptly. */
  dropConnections(): void;
  /** Stop listening and drop everything; `restart` listens again on the same port. */
  stop(): Promise<void>;
  restart(options?: { forgetState?: boolean }): Promise<void>;
}

function userOf(header: string): string | undefined {
  const plain = /^Bearer user:([A-Za-z0-9_-]+)$/.exec(header);
  if (plain !== null) return plain[1];
  const jwt = /^Bearer [\w-]+\.([\w-]+)\.[\w-]+$/.exec(header);
  if (jwt === null) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(jwt[1]!, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

async function serveStatic(dir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const file = normalize(join(dir, path === '/' ? 'index.html' : path));
  if (!file.startsWith(normalize(dir)))
    return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no file' } });
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    json(res, 404, { error: { code: 'NOT_FOUND', message: 'no file' } });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startSyncPeer(options: { staticDir?: string } = {}): Promise<SyncPeer> {
  const carts = new Map<string, Cart>();
  const devices = new Map<string, Device>(); // device token → device
  const actors = new Map<string, string>(); // actor → user
  const sessions = new Set<Session>();
  const stats: PeerStats = {
    deltaFrameBytes: 0,
    deltaFrames: 0,
    welcomeFrameBytes: 0,
    hellos: 0,
    registrations: 0,
    connections: 0,
  };
  let port = 0;
  let server: Server | undefined;
  let wss: WebSocketServer | undefined;

  const cartOf = (key: string): Cart => {
    let cart = carts.get(key);
    if (cart === undefined) {
      cart = Cart.create({ actor: 'peer' });
      carts.set(key, cart);
    }
    return cart;
  };

  const send = (socket: WebSocket, frame: ServerFrame): void => {
    if (socket.readyState === socket.OPEN) socket.send(encodeServerFrame(frame));
  };

  async function register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const user = userOf(req.headers.authorization ?? '');
    if (user === undefined)
      return json(res, 401, { error: { code: 'UNAUTHORIZED', message: 'no user token' } });
    let body = '';
    for await (const chunk of req) body += chunk;
    const requested = (JSON.parse(body || '{}') as { actor?: unknown }).actor;
    // Like the server: a device claims the actor it chose; first claim wins.
    if (typeof requested === 'string' && actors.has(requested) && actors.get(requested) !== user) {
      return json(res, 409, { error: { code: 'ACTOR_CONFLICT', message: 'claimed by another user' } });
    }
    const actor = typeof requested === 'string' ? requested : randomUUID();
    actors.set(actor, user);
    const token = randomBytes(16).toString('hex');
    devices.set(token, { user, actor });
    stats.registrations++;
    json(res, 201, { actor, token });
  }

  function onFrame(session: Session, text: string): void {
    const peer = api;
    let frame: ReturnType<typeof parseClientFrame>;
    try {
      frame = parseClientFrame(text);
    } catch (error) {
      send(session.socket, { t: 'error', code: 'BAD_REQUEST', message: String(error) });
      return;
    }
    const key = `${session.device.user}/${frame.cartId}`;
    const cart = cartOf(key);
    if (frame.t === 'hello') {
      stats.hellos++;
      session.cartKey = key;
      const welcome = encodeServerFrame({
        t: 'welcome',
        cartId: frame.cartId,
        delta: encodeCartDelta(cart.deltaSince(decodeContext(frame.context))),
        context: encodeContext(cart.context()),
      });
      stats.welcomeFrameBytes += welcome.length;
      session.socket.send(welcome);
      return;
    }
    stats.deltaFrames++;
    stats.deltaFrameBytes += text.length;
    const delta = decodeCartDelta(frame.delta);
    const foreign = newDots(delta, cart.context()).filter((d) => d.actor !== session.device.actor);
    if (foreign.length > 0) {
      send(session.socket, {
        t: 'error',
        code: 'FORBIDDEN_DOTS',
        message: 'dots of another actor',
        seq: frame.seq,
      });
      return;
    }
    const unknown = delta
      .lines()
      .map((l) => l.productId)
      .filter((id) => peer.unknownProducts.has(id) && cart.get(id) === undefined);
    if (unknown.length > 0) {
      send(session.socket, {
        t: 'error',
        code: 'PRODUCT_NOT_FOUND',
        message: `not in the catalog: ${unknown.join(', ')}`,
        seq: frame.seq,
        productIds: unknown,
      });
      return;
    }
    cart.applyDelta(delta);
    for (const other of sessions) {
      if (other !== session && other.cartKey === key)
        send(other.socket, { t: 'delta', cartId: frame.cartId, delta: frame.delta });
    }
    if (peer.holdAcks) return;
    const ack = () => send(session.socket, { t: 'ack', seq: frame.seq });
    if (peer.ackDelayMs > 0) setTimeout(ack, peer.ackDelayMs);
    else ack();
  }

  async function listen(): Promise<void> {
    const http = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/v1/devices') {
        register(req, res).catch(() =>
          json(res, 400, { error: { code: 'BAD_REQUEST', message: 'bad body' } }),
        );
      } else if (req.method === 'GET' && options.staticDir !== undefined && !req.url?.startsWith('/v1/')) {
        void serveStatic(options.staticDir, req, res);
      } else json(res, 404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    });
    const ws = new WebSocketServer({ noServer: true });
    http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const device = devices.get(url.searchParams.get('token') ?? '');
      if (url.pathname !== '/v1/sync' || device === undefined) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      ws.handleUpgrade(req, socket, head, (client) => {
        stats.connections++;
        const session: Session = { socket: client, device };
        sessions.add(session);
        client.on('message', (data) => onFrame(session, String(data)));
        client.on('close', () => sessions.delete(session));
      });
    });
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
    port = (http.address() as AddressInfo).port;
    server = http;
    wss = ws;
  }

  async function stop(): Promise<void> {
    for (const s of sessions) s.socket.terminate();
    sessions.clear();
    wss?.close();
    const s = server;
    server = undefined;
    if (s !== undefined) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  await listen();
  const api: SyncPeer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    carts,
    stats,
    ackDelayMs: 0,
    holdAcks: false,
    unknownProducts: new Set(),
    cart: (user, cartId) => cartOf(`${user}/${cartId}`),
    revokeTokens: () => devices.clear(),
    forgetDevices() {
      devices.clear();
      actors.clear();
    },
    dropConnections() {
      for (const s of sessions) s.socket.terminate();
    },
    stop,
    async restart(options) {
      await stop();
      if (options?.forgetState) carts.clear();
      await listen();
    },
  };
  return api;
}
