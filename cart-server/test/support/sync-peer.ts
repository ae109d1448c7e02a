/**
 * A small client of the sync protocol for the black-box tests and the soak script: it records
 * every frame the server sends and waits for the one a test expects.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { api } from './server-process.js';

export type Frame = Record<string, unknown>;

export class SyncPeer {
  readonly frames: Frame[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as Frame));
  }

  static async open(url: string, bearer: string, via: 'query' | 'protocol' = 'query'): Promise<SyncPeer> {
    const wsUrl = `${url.replace('http', 'ws')}/v1/sync${via === 'query' ? `?token=${bearer}` : ''}`;
    const ws = via === 'query' ? new WebSocket(wsUrl) : new WebSocket(wsUrl, [`bearer.${bearer}`]);
    await once(ws, 'open');
    return new SyncPeer(ws);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Removes and returns the first recorded frame matching `pred`, waiting for it if needed. */
  async next(pred: (f: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    const start = Date.now();
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0] as Frame;
      if (Date.now() - start > timeoutMs)
        throw new Error(`no matching frame; got ${JSON.stringify(this.frames)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** Registers a device for `bearer`'s user (POST /v1/devices); its token carries the new actor. */
export async function registerDevice(url: string, bearer: string): Promise<{ actor: string; token: string }> {
  const res = await api(url, bearer)('POST', '/v1/devices', { name: 'test-device' });
  if (res.status !== 201)
    throw new Error(`device registration answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json as { actor: string; token: string };
}
