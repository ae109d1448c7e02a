/**
 * `/v1/sync` upgrade handler: authenticates the bearer token (Sec-WebSocket-Protocol
 * `bearer.<jwt>`, `?token=` or Authorization) before any WebSocket state exists, then runs one
 * SyncConnection per socket.
 */
import { WebSocketServer } from 'ws';
import { bearerFromUpgrade, TokenVerifier } from '../auth/tokens.js';
import type { CartService } from '../carts/cart-service.js';
import { rejectUpgrade, type UpgradeHandler } from '../ws/upgrade.js';
import { SyncConnection, type SyncHooks, type SyncLimits } from './sync-connection.js';

export interface SyncEndpoint {
  readonly handler: UpgradeHandler;
  readonly connections: () => number;
  /** Closes every client socket (1001 going away) and stops accepting. */
  close(): Promise<void>;
}

export function createSyncEndpoint(options: {
  secret: string;
  /** The node's one token verifier (the shared secret plus --jwks-url); default: the secret alone. */
  verifier?: TokenVerifier;
  carts: CartService;
  limits: SyncLimits & { maxPayloadBytes: number };
  hooks?: SyncHooks & { onConnection?(open: boolean): void };
  accepting: () => boolean;
}): SyncEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.limits.maxPayloadBytes,
    perMessageDeflate: false,
    // Browsers fail the handshake unless the server selects one of the offered subprotocols.
    handleProtocols: (protocols) =>
      protocols.has('cartwheel.v1')
        ? 'cartwheel.v1'
        : ([...protocols].find((p) => p.startsWith('bearer.')) ?? false),
  });
  const live = new Set<SyncConnection>();
  const verifier = options.verifier ?? new TokenVerifier(options.secret);

  const handler: UpgradeHandler = (req, socket, head, url) => {
    if (!options.accepting()) {
      rejectUpgrade(socket, 503, 'SHUTTING_DOWN', 'server is shutting down');
      return;
    }
    const token = bearerFromUpgrade(url, req.headers);
    if (token === undefined) {
      rejectUpgrade(
        socket,
        401,
        'UNAUTHORIZED',
        'missing bearer token (?token= or Sec-WebSocket-Protocol bearer.<jwt>)',
      );
      return;
    }
    verifier.verify(token).then(
      (claims) => {
        if (socket.destroyed) return;
        wss.handleUpgrade(req, socket, head, (ws) => {
          const conn = new SyncConnection(ws, claims, options.carts, options.limits, options.hooks);
          live.add(conn);
          options.hooks?.onConnection?.(true);
          ws.on('close', () => {
            live.delete(conn);
            options.hooks?.onConnection?.(false);
          });
        });
      },
      (err: { code?: string; message?: string }) =>
        rejectUpgrade(socket, 401, err.code ?? 'UNAUTHORIZED', err.message ?? 'invalid token'),
    );
  };

  return {
    handler,
    connections: () => wss.clients.size,
    close: async () => {
      const closing = [...wss.clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              ws.terminate();
              resolve();
            }, 1000);
            ws.once('close', () => {
              clearTimeout(t);
              resolve();
            });
            ws.close(1001, 'server shutting down');
          }),
      );
      await Promise.all(closing);
      for (const c of live) c.dispose();
      wss.close();
    },
  };
}
