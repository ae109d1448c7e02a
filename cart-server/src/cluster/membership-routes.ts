/**
 * `/v1/admin/cluster/*`: live membership for operators (`cartwheel-admin`) and for the nodes
 * themselves during a join. Every route requires an admin token; the app authenticates
 * `/v1/admin/*` with the same bearer middleware as every other route (one auth path).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthVariables } from '../auth/middleware.js';
import { requireRole } from '../auth/middleware.js';
import { readJson } from '../carts/validation.js';
import { type RouteContract, RouteTable } from '../http/contract.js';
import type { ClusterMembership } from './membership-service.js';

const nodeId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'node must be a node id');
const nodeUrl = z
  .string()
  .max(2048)
  .regex(/^(https?|wss?):\/\/[^\s/]+/, 'url must be an http(s):// URL of a node');

export const joinSchema = z.strictObject({ url: nodeUrl, commit: z.boolean().default(false) });
export const nodeSchema = z.strictObject({ node: nodeId });
export const addressSchema = z.strictObject({ node: nodeId, url: nodeUrl });
export const adoptSchema = z.strictObject({
  from: nodeId,
  ring: z
    .string()
    .max(1_000_000)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'ring must be base64'),
  addresses: z.record(nodeId, nodeUrl),
});

const view = (name: string) => z.looseObject({}).describe(name);
const tags = ['cluster'];
const get = (
  path: string,
  summary: string,
  response: string,
  errors: readonly string[] = [],
): RouteContract => ({
  method: 'get',
  path: `/admin/cluster/${path}`,
  summary,
  tags,
  access: 'admin',
  responses: { 200: { description: response, schema: view(response) } },
  errors,
});
const post = (
  path: string,
  summary: string,
  response: string,
  body: z.ZodType | undefined,
  errors: readonly string[] = [],
): RouteContract => ({
  method: 'post',
  path: `/admin/cluster/${path}`,
  summary,
  tags,
  access: 'admin',
  ...(body === undefined ? {} : { body }),
  responses: { 200: { description: response, schema: view(response) } },
  errors: body === undefined ? errors : ['VALIDATION_FAILED', 'INVALID_JSON', 'PAYLOAD_TOO_LARGE', ...errors],
});

/**
 * The membership routes; mounted at /v1 behind the app's auth (`/v1/admin/*`), admin role here.
 */
export function createMembershipRoutes(
  membership: ClusterMembership,
): RouteTable<{ Variables: AuthVariables }> {
  const routes = new RouteTable(new Hono<{ Variables: AuthVariables }>());
  const admin = requireRole('admin');
  routes
    .on(get('node', 'This node: id, URL, ring size, N/R/W, alone in its ring', 'NodeInfo'), admin, (c) =>
      c.json(membership.nodeInfo()),
    )
    .on(
      get(
        'members',
        'member-status: members, status, up/down, ownership, pending transfers, staged changes',
        'MemberStatusView',
      ),
      admin,
      (c) => c.json(membership.memberStatus()),
    )
    .on(
      get(
        'ring',
        'ring-status: owner and next owner of every partition, pending transfers',
        'RingStatusView',
      ),
      admin,
      (c) => c.json(membership.ringStatus()),
    )
    .on(
      get(
        'transfers',
        "transfers: this node's outbound ownership transfers, running handoffs with progress, hint backlog",
        'TransfersView',
      ),
      admin,
      (c) => c.json(membership.transfers()),
    )
    .on(
      get(
        'aae',
        'aae-status: per owned partition, last completed exchange and keys repaired',
        'AaeStatusView',
      ),
      admin,
      (c) => c.json(membership.aaeStatus()),
    )
    .on(
      get('plan', 'The ring the changes staged on this node would produce, and the transfers', 'PlanView', [
        'MEMBERSHIP_INVALID',
      ]),
      admin,
      (c) => c.json(membership.plan()),
    )
    .on(
      post(
        'join',
        "Stage the join of the node at url (alone in its ring, this cluster's ring size and N); commit: true also commits",
        'JoinResult',
        joinSchema,
        ['MEMBERSHIP_CONFLICT', 'PEER_UNREACHABLE'],
      ),
      admin,
      async (c) => {
        const { url, commit } = await readJson(c, joinSchema);
        return c.json(await membership.join(url, commit));
      },
    )
    .on(
      post(
        'leave',
        'Stage a leave (the node hands its partitions off, then is removed)',
        'MemberStatusView',
        nodeSchema,
        ['MEMBER_NOT_FOUND'],
      ),
      admin,
      async (c) => {
        const { node } = await readJson(c, nodeSchema);
        return c.json(membership.stage({ type: 'leave', node }));
      },
    )
    .on(
      post(
        'force-remove',
        'Stage a force-remove (partitions reassigned at once, no handoff; replicas rebuilt by read repair and AAE)',
        'MemberStatusView',
        nodeSchema,
        ['MEMBER_NOT_FOUND'],
      ),
      admin,
      async (c) => {
        const { node } = await readJson(c, nodeSchema);
        return c.json(membership.stage({ type: 'force-remove', node }));
      },
    )
    .on(
      post('commit', 'Commit the changes staged on this node as a new ring version', 'PlanView', undefined, [
        'MEMBERSHIP_INVALID',
        'NOTHING_STAGED',
      ]),
      admin,
      async (c) => c.json(await membership.commit()),
    )
    .on(post('clear', 'Drop the changes staged on this node', 'MemberStatusView', undefined), admin, (c) =>
      c.json(membership.clear()),
    )
    .on(
      post(
        'addresses',
        'Node to node, during a join: where the joining node listens',
        'AddressLearned',
        addressSchema,
      ),
      admin,
      async (c) => {
        const { node, url } = await readJson(c, addressSchema);
        return c.json(membership.learnAddress(node, url));
      },
    )
    .on(
      post(
        'adopt',
        'Node to node, during a join: a member hands a node alone in its ring the cluster ring and addresses',
        'NodeInfo',
        adoptSchema,
        ['MEMBERSHIP_CONFLICT'],
      ),
      admin,
      async (c) => c.json(await membership.adopt(await readJson(c, adoptSchema))),
    );
  return routes;
}
