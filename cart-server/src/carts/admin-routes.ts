/**
 * Admin-only inspection of one node's *local* replicas of a cart, without any quorum round: how
 * tests and operators check that a node caught up (hinted handoff, anti-entropy) after a failure.
 */
import {
  Cart,
  type CartLine,
  type CartOp,
  type CartState,
  cartType,
  type ReplicaNode,
} from '@cartwheel/crdt';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthVariables } from '../auth/middleware.js';
import { requireRole } from '../auth/middleware.js';
import { USER_ID } from '../auth/tokens.js';
import { type RouteContract, RouteTable } from '../http/contract.js';
import { cartKey } from './cart-service.js';
import { cartIdSchema, parseParam } from './validation.js';

const userIdSchema = z.string().regex(USER_ID, 'bad user id');
const line = z.object({
  productId: z.string(),
  quantity: z.number().int(),
  meta: z.record(z.string(), z.unknown()).optional(),
});
const localView = z.object({
  node: z.string(),
  partitions: z.array(z.number().int()).describe('Partitions of the key this node holds data for'),
  lines: z.array(line).describe('The join of the local replicas'),
  replicas: z.array(z.object({ partition: z.number().int(), kind: z.string(), lines: z.array(line) })),
});

export function createAdminCartRoutes(
  replica: ReplicaNode<CartState, CartOp>,
): RouteTable<{ Variables: AuthVariables }> {
  const routes = new RouteTable(new Hono<{ Variables: AuthVariables }>());
  const contract: RouteContract = {
    method: 'get',
    path: '/admin/carts/:userId/:cartId/local',
    summary: "One node's local replicas of a cart, without a quorum round",
    description:
      'How tests and operators check that a node caught up (hinted handoff, anti-entropy) after a failure.',
    tags: ['cluster'],
    access: 'admin',
    params: z.object({ userId: userIdSchema, cartId: cartIdSchema }),
    responses: { 200: { description: 'The local replicas', schema: localView } },
    errors: ['VALIDATION_FAILED'],
  };
  routes.on(contract, requireRole('admin'), async (c) => {
    const userId = parseParam(userIdSchema, c.req.param('userId'));
    const cartId = parseParam(cartIdSchema, c.req.param('cartId'));
    const key = cartKey(userId, cartId);
    let state = cartType.empty();
    const partitions: number[] = [];
    // Each vnode this node serves for the key, on its own too (empty when it holds nothing): a
    // node may serve two vnodes of one key (a ring that does not split evenly), and a catch-up
    // check must see each of them.
    const replicas: { partition: number; kind: string; lines: CartLine[] }[] = [];
    for (const e of replica.preferenceList(key)) {
      if (e.node !== replica.id) continue;
      const local = await replica.localState(e.partition, key);
      replicas.push({
        partition: e.partition,
        kind: e.kind,
        lines: local === undefined ? [] : Cart.fromState(local).lines(),
      });
      if (local !== undefined) {
        partitions.push(e.partition);
        state = cartType.join(state, local);
      }
    }
    return c.json({ node: replica.id, partitions, lines: Cart.fromState(state).lines(), replicas });
  });
  return routes;
}
