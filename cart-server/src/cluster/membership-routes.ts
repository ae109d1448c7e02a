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

export function createMembershipRoutes(membership: ClusterMembership): Hono<{ Variables: AuthVariables }> {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.use('/admin/cluster/*', requireRole('admin'));
  app.get('/admin/cluster/node', (c) => c.json(membership.nodeInfo()));
  app.get('/admin/cluster/members', (c) => c.json(membership.memberStatus()));
  app.get('/admin/cluster/ring', (c) => c.json(membership.ringStatus()));
  app.get('/admin/cluster/transfers', (c) => c.json(membership.transfers()));
  app.get('/admin/cluster/aae', (c) => c.json(membership.aaeStatus()));
  app.get('/admin/cluster/plan', (c) => c.json(membership.plan()));
  app.post('/admin/cluster/join', async (c) => {
    const { url, commit } = await readJson(c, joinSchema);
    return c.json(await membership.join(url, commit));
  });
  app.post('/admin/cluster/leave', async (c) => {
    const { node } = await readJson(c, nodeSchema);
    return c.json(membership.stage({ type: 'leave', node }));
  });
  app.post('/admin/cluster/force-remove', async (c) => {
    const { node } = await readJson(c, nodeSchema);
    return c.json(membership.stage({ type: 'force-remove', node }));
  });
  app.post('/admin/cluster/commit', async (c) => c.json(await membership.commit()));
  app.post('/admin/cluster/clear', (c) => c.json(membership.clear()));
  app.post('/admin/cluster/addresses', async (c) => {
    const { node, url } = await readJson(c, addressSchema);
    return c.json(membership.learnAddress(node, url));
  });
  app.post('/admin/cluster/adopt', async (c) =>
    c.json(await membership.adopt(await readJson(c, adoptSchema))),
  );
  return app;
}

const admin = [{ bearer: [] }];
const ok = (description: string) => ({ '200': { description } });
const errors = {
  '401': { description: 'Missing or invalid bearer token' },
  '403': { description: 'Not an admin token (ROLE_REQUIRED)' },
};
const body = (properties: Record<string, unknown>, required: string[]) => ({
  required: true,
  content: { 'application/json': { schema: { type: 'object', properties, required } } },
});

/** OpenAPI paths of the routes above (merged into /openapi.json). */
export const MEMBERSHIP_OPENAPI_PATHS: Record<string, unknown> = {
  '/v1/admin/cluster/node': {
    get: {
      summary: 'This node: id, URL, ring size, N/R/W, alone in its ring',
      security: admin,
      responses: { ...ok('NodeInfo'), ...errors },
    },
  },
  '/v1/admin/cluster/members': {
    get: {
      summary: 'member-status: members, status, up/down, ownership, pending transfers, staged changes',
      security: admin,
      responses: { ...ok('MemberStatusView'), ...errors },
    },
  },
  '/v1/admin/cluster/ring': {
    get: {
      summary: 'ring-status: owner and next owner of every partition, pending transfers',
      security: admin,
      responses: { ...ok('RingStatusView'), ...errors },
    },
  },
  '/v1/admin/cluster/transfers': {
    get: {
      summary:
        "transfers: this node's outbound ownership transfers, running handoffs with progress, hint backlog",
      security: admin,
      responses: { ...ok('TransfersView'), ...errors },
    },
  },
  '/v1/admin/cluster/aae': {
    get: {
      summary: 'aae-status: per owned partition, last completed exchange and keys repaired',
      security: admin,
      responses: { ...ok('AaeStatusView'), ...errors },
    },
  },
  '/v1/admin/cluster/plan': {
    get: {
      summary: 'The ring the changes staged on this node would produce, and the transfers',
      security: admin,
      responses: { ...ok('PlanView'), '400': { description: 'MEMBERSHIP_INVALID' }, ...errors },
    },
  },
  '/v1/admin/cluster/join': {
    post: {
      summary:
        "Stage the join of the node at url (it must be alone in its ring and run this cluster's ring size and N); commit: true also commits",
      security: admin,
      requestBody: body({ url: { type: 'string' }, commit: { type: 'boolean', default: false } }, ['url']),
      responses: {
        ...ok('JoinResult'),
        '409': { description: 'MEMBERSHIP_CONFLICT' },
        '502': { description: 'PEER_UNREACHABLE' },
        ...errors,
      },
    },
  },
  '/v1/admin/cluster/leave': {
    post: {
      summary: 'Stage a leave (the node hands its partitions off, then is removed)',
      security: admin,
      requestBody: body({ node: { type: 'string' } }, ['node']),
      responses: { ...ok('MemberStatusView'), '404': { description: 'MEMBER_NOT_FOUND' }, ...errors },
    },
  },
  '/v1/admin/cluster/force-remove': {
    post: {
      summary:
        'Stage a force-remove (partitions reassigned at once, no handoff; replicas rebuilt by read repair and AAE)',
      security: admin,
      requestBody: body({ node: { type: 'string' } }, ['node']),
      responses: { ...ok('MemberStatusView'), '404': { description: 'MEMBER_NOT_FOUND' }, ...errors },
    },
  },
  '/v1/admin/cluster/commit': {
    post: {
      summary: 'Commit the changes staged on this node as a new ring version',
      security: admin,
      responses: {
        ...ok('PlanView (as committed)'),
        '400': { description: 'MEMBERSHIP_INVALID' },
        '409': { description: 'NOTHING_STAGED' },
        ...errors,
      },
    },
  },
  '/v1/admin/cluster/clear': {
    post: {
      summary: 'Drop the changes staged on this node',
      security: admin,
      responses: { ...ok('MemberStatusView'), ...errors },
    },
  },
  '/v1/admin/cluster/addresses': {
    post: {
      summary: 'Node to node, during a join: where the joining node listens',
      security: admin,
      requestBody: body({ node: { type: 'string' }, url: { type: 'string' } }, ['node', 'url']),
      responses: { ...ok('{node, url}'), ...errors },
    },
  },
  '/v1/admin/cluster/adopt': {
    post: {
      summary:
        'Node to node, during a join: a member hands a node alone in its ring the cluster ring and addresses',
      security: admin,
      requestBody: body(
        { from: { type: 'string' }, ring: { type: 'string', format: 'byte' }, addresses: { type: 'object' } },
        ['from', 'ring', 'addresses'],
      ),
      responses: { ...ok('NodeInfo'), '409': { description: 'MEMBERSHIP_CONFLICT' }, ...errors },
    },
  },
};
