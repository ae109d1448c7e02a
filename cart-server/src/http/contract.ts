/**
 * Routes declared once: each route is registered through `RouteTable.on(contract, ...handlers)`
 * with the zod schemas its handler validates with, the error codes it can answer and who may call
 * it — and the OpenAPI document is generated from those contracts (zod 4's JSON Schema output),
 * per mounted sub-app, so the document cannot drift from the code. `openApiDocument` assembles
 * the contracts of every mounted table; a test checks that every route the server mounts is in
 * it, and CI lints it with Redocly.
 */
import type { Context, Env, Hono, Next } from 'hono';
import { z } from 'zod';
import { statusForCode } from './errors.js';

export type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';

/** Who may call: no token, a bearer token (with a role), or a cluster peer's token. */
export type Access = 'public' | 'user' | 'seller' | 'admin' | 'cluster';

export interface ResponseContract {
  readonly description: string;
  /** Body schema (JSON unless `contentType` says otherwise); none for an empty body. */
  readonly schema?: z.ZodType;
  readonly contentType?: string;
  /** Response headers: name → description. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteContract {
  readonly method: Method;
  /** Hono path relative to the table's mount point, e.g. `/carts/:cartId/items`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly access: Access;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** Request headers the route reads (lower-case names). */
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Request body media type (default application/json). */
  readonly bodyType?: string;
  readonly bodyRequired?: boolean;
  readonly responses: Readonly<Record<number, ResponseContract>>;
  /** Error codes the route can answer; their statuses come from the server's one table. */
  readonly errors?: readonly string[];
}

/** A middleware or the final handler (which may answer synchronously). */
// biome-ignore lint/suspicious/noConfusingVoidType: hono's middleware returns Promise<void>; handlers a Response.
type AnyHandler<E extends Env> = (c: Context<E>, next: Next) => Response | void | Promise<Response | void>;

/** A hono app plus the contracts of the routes registered on it. */
export class RouteTable<E extends Env = Env> {
  readonly app: Hono<E>;
  readonly #contracts: RouteContract[] = [];

  constructor(app: Hono<E>) {
    this.app = app;
  }

  get contracts(): readonly RouteContract[] {
    return this.#contracts;
  }

  /** Registers `handlers` for the contract's method and path, and records the contract. */
  on(contract: RouteContract, ...handlers: AnyHandler<E>[]): this {
    this.#contracts.push(contract);
    const on = this.app.on as unknown as (method: string, path: string, ...h: AnyHandler<E>[]) => unknown;
    on.call(this.app, contract.method.toUpperCase(), contract.path, ...handlers);
    return this;
  }
}

/** The contracts of a table as mounted under `prefix` (e.g. '/v1'). */
export interface MountedContracts {
  readonly prefix: string;
  readonly contracts: readonly RouteContract[];
}

type Json = Record<string, unknown>;

/** JSON Schema (draft 2020-12, what OpenAPI 3.1 uses) of a zod schema, without `$schema`. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** `/carts/:cartId` → `/carts/{cartId}`; the names of its path parameters. */
export function openApiPath(prefix: string, path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const joined = `${prefix}${path === '/' ? '' : path}`.replace(
    /:([A-Za-z0-9_]+)(\{[^}]*\})?/g,
    (_, name: string) => {
      params.push(name);
      return `{${name}}`;
    },
  );
  return { path: joined === '' ? '/' : joined, params };
}

function parameters(
  where: 'path' | 'query' | 'header',
  schema: z.ZodObject | undefined,
  names: string[] = [],
): Json[] {
  const shape = (schema?.shape ?? {}) as Record<string, z.ZodType>;
  const listed = new Set(Object.keys(shape));
  const out: Json[] = Object.entries(shape).map(([name, field]) => {
    const { description, ...fieldSchema } = jsonSchema(field, 'input');
    return {
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: fieldSchema,
    };
  });
  // A path parameter the contract does not describe is still a required string.
  for (const name of names)
    if (!listed.has(name)) out.push({ name, in: where, required: true, schema: { type: 'string' } });
  return out;
}

const SECURITY: Record<Access, Json[]> = {
  public: [],
  user: [{ bearerAuth: [] }],
  seller: [{ bearerAuth: [] }],
  admin: [{ bearerAuth: [] }],
  cluster: [{ clusterToken: [] }],
};

const ACCESS_NOTE: Partial<Record<Access, string>> = {
  seller: 'Requires a token with role seller or admin.',
  admin: 'Requires a token with role admin.',
  cluster: "A cluster peer's token (HMAC of the cluster secret).",
};

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const REQUEST_ID =
  "The request's id (the caller's `x-request-id` when sane, else generated), also in the access log";

function operation(contract: RouteContract, pathParams: string[]): Json {
  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(contract.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.headers === undefined
        ? {}
        : {
            headers: Object.fromEntries(
              Object.entries(r.headers).map(([name, description]) => [
                name,
                { description, schema: { type: 'string' } },
              ]),
            ),
          }),
      ...(r.schema === undefined
        ? {}
        : { content: { [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema, 'output') } } }),
    };
  }
  const byStatus = new Map<number, string[]>();
  const codes = [...(contract.errors ?? [])];
  if (contract.access !== 'public') {
    for (const code of ['UNAUTHORIZED', 'IDENTITY_PROVIDER_UNAVAILABLE'])
      if (!codes.includes(code)) codes.push(code);
  }
  if ((contract.access === 'seller' || contract.access === 'admin') && !codes.includes('ROLE_REQUIRED'))
    codes.push('ROLE_REQUIRED');
  for (const code of codes) {
    const status = statusForCode(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] ??= {
      description: list.join(', '),
      headers: { 'X-Request-Id': { description: REQUEST_ID, schema: { type: 'string' } } },
      content: { 'application/json': { schema: ERROR_REF } },
    };
  }
  const note = ACCESS_NOTE[contract.access];
  const description = [contract.description, note].filter((s) => s !== undefined).join('\n\n');
  return {
    summary: contract.summary,
    ...(description === '' ? {} : { description }),
    operationId: operationId(contract.method, contract.path),
    tags: [...contract.tags],
    security: SECURITY[contract.access],
    parameters: [
      ...parameters('path', contract.params, pathParams),
      ...parameters('query', contract.query),
      ...parameters('header', contract.headers),
    ],
    ...(contract.body === undefined
      ? {}
      : {
          requestBody: {
            required: contract.bodyRequired ?? true,
            content: {
              [contract.bodyType ?? 'application/json']: { schema: jsonSchema(contract.body, 'input') },
            },
          },
        }),
    responses,
  };
}

function operationId(method: Method, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith(':') ? `by-${s.slice(1)}` : s))
    .join('-');
  return `${method}-${words === '' ? 'root' : words}`.replace(
    /[^A-Za-z0-9]+(.)?/g,
    (_, c: string | undefined) => (c ?? '').toUpperCase(),
  );
}

export interface DocumentInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /** Where the API is served (default: the origin the document is fetched from). */
  readonly servers?: readonly { url: string; description?: string }[];
  readonly tags?: readonly { name: string; description: string }[];
}

/** The OpenAPI 3.1 document of every mounted contract. */
export function openApiDocument(mounts: readonly MountedContracts[], info: DocumentInfo): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const { prefix, contracts } of mounts) {
    for (const contract of contracts) {
      const { path, params } = openApiPath(prefix, contract.path);
      const item = paths[path] ?? {};
      if (item[contract.method] !== undefined)
        throw new Error(`two contracts for ${contract.method.toUpperCase()} ${path}`);
      item[contract.method] = operation(contract, params);
      paths[path] = item;
    }
  }
  const tags = new Set(mounts.flatMap((m) => m.contracts.flatMap((c) => c.tags)));
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      ...(info.description === undefined ? {} : { description: info.description }),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: info.servers ?? [{ url: '/', description: 'this node' }],
    tags: [...tags].sort().map((name) => ({
      name,
      description: info.tags?.find((t) => t.name === name)?.description ?? name,
    })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : 1))),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'HS256 with the server secret (POST /v1/devices or npm run dev-token), or an identity provider’s token (--jwks-url)',
        },
        clusterToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'Cluster peers authenticate with a token derived from the cluster secret',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', description: 'Stable machine-readable code, e.g. VALIDATION_FAILED' },
                message: { type: 'string' },
                details: { description: 'Code-specific details' },
              },
            },
          },
        },
      },
    },
  };
}
