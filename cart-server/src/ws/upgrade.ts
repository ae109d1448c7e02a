/**
 * Routes HTTP `upgrade` requests of the one HTTP server (@hono/node-server) to the WebSocket
 * endpoints: `/v1/sync` (client sync) and `/v1/cluster` (replication). Anything else, or a refused
 * authentication, gets a plain HTTP error response on the raw socket and is closed — before any
 * WebSocket state is allocated.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Writes an HTTP error with the JSON error body on a not-yet-upgraded socket, then closes it. */
export function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function attachUpgradeRoutes(server: Server, routes: ReadonlyMap<string, UpgradeHandler>): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      rejectUpgrade(socket, 400, 'BAD_REQUEST', 'bad request target');
      return;
    }
    const handler = routes.get(url.pathname);
    if (handler === undefined) {
      rejectUpgrade(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${url.pathname}`);
      return;
    }
    try {
      handler(req, socket, head, url);
    } catch {
      rejectUpgrade(socket, 400, 'BAD_REQUEST', 'bad upgrade request');
    }
  });
}
