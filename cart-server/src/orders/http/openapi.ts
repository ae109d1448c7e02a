/** OpenAPI 3.1 `paths` of the order routes (merged into the cart server's /openapi.json). */
const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: error } },
});
const bearer = [{ bearerAuth: [] }];

export const orderOpenApiPaths: Record<string, unknown> = {
  '/v1/orders': {
    post: {
      summary: 'Check out a cart (idempotent by Idempotency-Key)',
      security: bearer,
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
        },
      ],
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              properties: {
                cartId: { type: 'string', default: 'default' },
                email: { type: 'string', format: 'email' },
                acceptPriceChanges: { type: 'boolean' },
              },
            },
          },
        },
      },
      responses: {
        '202': {
          description:
            'Order recorded in the order log (also for a replayed key: same order id, replayed=true)',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  orderId: { type: 'string' },
                  status: { enum: ['pending', 'confirmed', 'rejected'] },
                  replayed: { type: 'boolean' },
                  links: {
                    type: 'object',
                    properties: { self: { type: 'string', description: 'GET it to follow the order' } },
                  },
                },
              },
            },
          },
        },
        '400': errorResponse('IDEMPOTENCY_KEY_INVALID, INVALID_JSON, VALIDATION_FAILED, ORDER_INVALID'),
        '401': errorResponse('UNAUTHORIZED'),
        '404': errorResponse('PRODUCT_NOT_FOUND'),
        '409': errorResponse(
          'IDEMPOTENCY_CONFLICT, CART_ALREADY_ORDERED (another order holds these lines; details.orderId), OUT_OF_STOCK, PRICE_CHANGED',
        ),
        '413': errorResponse('PAYLOAD_TOO_LARGE, ORDER_TOO_LARGE'),
        '422': errorResponse('EMPTY_CART'),
        '503': errorResponse('ORDER_LOG_UNAVAILABLE'),
      },
    },
  },
  '/v1/orders/{id}': {
    get: {
      summary: "An order's status (pending, confirmed, or rejected with the failing line)",
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'The order' }, '404': errorResponse('ORDER_NOT_FOUND') },
    },
  },
  '/v1/inventory': {
    post: {
      summary: 'Seller stock update (set or adjust), applied through the order log',
      security: bearer,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['productId', 'quantity'],
              properties: {
                productId: { type: 'string' },
                quantity: { type: 'integer' },
                mode: { enum: ['set', 'adjust'], default: 'set' },
              },
            },
          },
        },
      },
      responses: {
        '202': { description: 'Update recorded in the log' },
        '403': errorResponse('ROLE_REQUIRED'),
        '404': errorResponse('PRODUCT_NOT_FOUND'),
      },
    },
  },
  '/v1/inventory/{productId}': {
    get: {
      summary: 'Checkpointed stock level (seller/admin)',
      security: bearer,
      parameters: [{ name: 'productId', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': { description: '{ productId, available, known }' },
        '403': errorResponse('ROLE_REQUIRED'),
      },
    },
  },
};
