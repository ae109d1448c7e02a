/**
 * A real cart-server process for the end-to-end tests — the cart server's own helper
 * (`@cartwheel/cart-server/testing`, spawned from its sources), on a free loopback port with a
 * private data directory; killable (SIGKILL) and restartable on the same port/data.
 */
import { rmSync } from 'node:fs';
import { createServer, type ServerProcess, TEST_SECRET } from '@cartwheel/cart-server/testing';
import { signDevToken } from '../../scripts/dev-token.js';

/** The secret the shared helper's servers run with (JWT_SECRET). */
export const E2E_SECRET = TEST_SECRET;

export interface CartServerProcess {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  /** SIGKILL, no drain: the crash case. */
  kill(): Promise<void>;
  output(): string;
  /** Kills the process and removes its data directory. */
  dispose(): Promise<void>;
  /** A user JWT this server accepts. */
  userToken(userId: string): string;
  /** GET /v1/carts/:cartId as the user: "productId×quantity" per line. */
  cartLines(userId: string, cartId: string): Promise<string[]>;
}

/** A user JWT for this secret (HS256), as the cart server's `dev-token` signs it. */
function userJwt(userId: string): string {
  return signDevToken(userId, E2E_SECRET);
}

/** One cart-server node (the cart server's own test helper, `@cartwheel/cart-server/testing`). */
export async function startCartServer(
  options: {
    storefrontDir?: string;
    args?: readonly string[];
    /** Reserve the port and data directory but start later (`start()`): the server-down case. */
    deferStart?: boolean;
  } = {},
): Promise<CartServerProcess> {
  const server: ServerProcess = await createServer({
    args: [
      ...(options.storefrontDir === undefined ? [] : ['--storefront-dir', options.storefrontDir]),
      ...(options.args ?? []),
    ],
  });
  if (options.deferStart !== true) await server.start();
  const { url } = server;
  return {
    url,
    port: server.port,
    start: () => server.start(),
    kill: () => server.kill(),
    output: () => server.output(),
    async dispose() {
      await server.kill();
      rmSync(server.dataDir, { recursive: true, force: true });
    },
    userToken: userJwt,
    async cartLines(userId, cartId) {
      const res = await fetch(`${url}/v1/carts/${cartId}`, {
        headers: { authorization: `Bearer ${userJwt(userId)}` },
      });
      if (res.status === 404) return [];
      if (!res.ok) throw new Error(`GET cart answered ${res.status}`);
      const body = (await res.json()) as { lines: { productId: string; quantity: number }[] };
      return body.lines.map((l) => `${l.productId}×${l.quantity}`);
    },
  };
}
