/**
 * Node-to-node authentication: a peer proves it belongs to the cluster with
 * HMAC-SHA256(secret, "cartwheel-cluster:" + nodeId) in the `x-cartwheel-cluster` header of its
 * WebSocket upgrade. Every node of a cluster shares the JWT secret, so no extra key is needed, and
 * a user token (even an admin one) can never open a replication connection.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CLUSTER_NODE_HEADER = 'x-cartwheel-node';
export const CLUSTER_PROOF_HEADER = 'x-cartwheel-cluster';
/** The dialling node's own base URL, so a cluster learns a joined node's address from its first dial. */
export const CLUSTER_URL_HEADER = 'x-cartwheel-url';

export function clusterProof(secret: string, nodeId: string): string {
  return createHmac('sha256', secret).update(`cartwheel-cluster:${nodeId}`).digest('base64url');
}

export function checkClusterProof(secret: string, nodeId: string, proof: string): boolean {
  const expected = Buffer.from(clusterProof(secret, nodeId));
  const given = Buffer.from(proof);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
