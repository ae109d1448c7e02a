/**
 * The slice of the WHATWG WebSocket API the client uses. Browsers pass their global
 * `WebSocket`; Node 20 (which has none) passes the `ws` package's class, which implements the
 * same event-handler properties. Only this adapter knows there are two runtimes.
 */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export const SOCKET_OPEN = 1;

/** Uses the runtime's global WebSocket; throws TypeError where there is none (Node 20). */
export function defaultSocketFactory(): SocketFactory {
  const Ctor = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (Ctor === undefined) {
    throw new TypeError(
      'no global WebSocket: pass `createSocket` (e.g. url => new WebSocket(url) from "ws")',
    );
  }
  return (url) => new Ctor(url);
}
