/** `/v1/cluster` upgrade handler: authenticates a peer node and hands its socket to the transport. */
import { WebSocketServer } from 'ws';
import type { UpgradeHandler } from '../ws/upgrade.js';
import { rejectUpgrade } from '../ws/upgrade.js';
import { BATCH_FRAMES, FRAMES_HEADER } from './batch-frames.js';
import {
  CLUSTER_NODE_HEADER,
  CLUSTER_PROOF_HEADER,
  CLUSTER_URL_HEADER,
  checkClusterProof,
} from './cluster-auth.js';
import type { WsTransport } from './ws-transport.js';

export interface ClusterEndpoint {
  readonly handler: UpgradeHandler;
  close(): void;
}

export function createClusterEndpoint(options: {
  transport: WsTransport;
  secret: string;
  /** Nodes allowed to connect: the ring's members and nodes with a known address (membership is dynamic). */
  members: { has(node: string): boolean };
  maxPayloadBytes: number;
  onConnection?: (peer: string, open: boolean) => void;
  /** An accepted peer sent its base URL (the `x-cartwheel-url` header). */
  onPeerUrl?: (peer: string, url: string) => void;
}): ClusterEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: false,
  });
  // Batch frames (batch-frames.ts): accepted when the dialling node asks for them.
  const wantsBatches = (req: { headers: Record<string, string | string[] | undefined> }): boolean =>
    req.headers[FRAMES_HEADER] === BATCH_FRAMES;
  wss.on('headers', (headers, req) => {
    if (wantsBatches(req)) headers.push(`${FRAMES_HEADER}: ${BATCH_FRAMES}`);
  });
  const handler: UpgradeHandler = (req, socket, head) => {
    const node = req.headers[CLUSTER_NODE_HEADER];
    const proof = req.headers[CLUSTER_PROOF_HEADER];
    if (
      typeof node !== 'string' ||
      typeof proof !== 'string' ||
      !checkClusterProof(options.secret, node, proof)
    ) {
      rejectUpgrade(socket, 401, 'UNAUTHORIZED', 'cluster connections need a valid node proof');
      return;
    }
    if (!options.members.has(node)) {
      rejectUpgrade(socket, 403, 'FORBIDDEN', `node ${node} is not a member of this cluster`);
      return;
    }
    const url = req.headers[CLUSTER_URL_HEADER];
    if (typeof url === 'string') options.onPeerUrl?.(node, url);
    wss.handleUpgrade(req, socket, head, (ws) => {
      options.onConnection?.(node, true);
      ws.on('close', () => options.onConnection?.(node, false));
      options.transport.acceptInbound(node, ws, wantsBatches(req));
    });
  };
  return { handler, close: () => wss.close() };
}
