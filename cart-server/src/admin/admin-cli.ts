/**
 * `cartwheel-admin`: the operator's view of a cluster and its membership, after riak-admin
 * (member-status, ring-status, transfers, aae-status, cluster join|leave|force-remove|plan|commit).
 * It talks to one node's `/v1/admin/cluster/*` API (`transfers` asks every member); tables by
 * default, `--json` for scripts. Exit codes: 0 done, 1 the cluster refused or could not be
 * reached, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { signToken } from '../auth/tokens.js';
import { AdminClient, type TransfersView } from '../cluster/admin-client.js';
import { DEV_JWT_SECRET, normalizeNodeUrl } from '../config/config.js';
import { ApiError } from '../http/errors.js';
import {
  type ClusterTransfers,
  formatAae,
  formatJoin,
  formatMembers,
  formatPlan,
  formatRing,
  formatStaged,
  formatTransfers,
} from './admin-format.js';

export const ADMIN_USAGE = `Usage: cartwheel-admin [options] <command>

Commands:
  member-status                 members: status, up/down, share of the ring, pending transfers
  ring-status                   partitions per member, pending ownership transfers
  transfers                     handoffs running and waiting on every member, hint backlog
  aae-status                    per partition of the node: last anti-entropy exchange, keys repaired
  cluster join <node-url>       stage the join of the node listening at <node-url>
  cluster leave <node>          stage <node> leaving (it hands its partitions off first)
  cluster force-remove <node>   stage removing <node> now, without handoff (a dead node)
  cluster plan                  show what the changes staged on the node would do
  cluster commit                commit them (a new ring version; handoffs start)
  cluster clear                 drop the staged changes

Options:
  --url <url>          node to talk to [CARTWHEEL_URL] (default http://127.0.0.1:8080);
                       stage, plan and commit on the same node
  --token <jwt>        admin bearer token [CARTWHEEL_TOKEN]; without one, a 5-minute admin
                       token is signed with --jwt-secret [JWT_SECRET] (or the development secret)
  --jwt-secret <s>     the cluster's JWT secret, to sign that token
  --json               print JSON instead of tables
  --timeout-ms <ms>    per request (default 10000)
  -h, --help           this text

Exit codes: 0 done, 1 refused or unreachable, 2 usage error.`;

export interface AdminIo {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly fetch?: typeof fetch;
}

class UsageError extends Error {}

type Command =
  | { readonly kind: 'member-status' | 'ring-status' | 'transfers' | 'aae-status' }
  | { readonly kind: 'plan' | 'commit' | 'clear' }
  | { readonly kind: 'join'; readonly url: string }
  | { readonly kind: 'leave' | 'force-remove'; readonly node: string };

function parseCommand(positionals: readonly string[]): Command {
  const [first, second, third, ...rest] = positionals;
  const noMore = (extra: readonly (string | undefined)[]) => {
    const left = extra.filter((x) => x !== undefined);
    if (left.length > 0) throw new UsageError(`unexpected argument '${left[0]}'`);
  };
  switch (first) {
    case 'member-status':
    case 'ring-status':
    case 'transfers':
    case 'aae-status':
      noMore([second, third, ...rest]);
      return { kind: first };
    case 'cluster':
      break;
    case undefined:
      throw new UsageError('missing command');
    default:
      throw new UsageError(`unknown command '${first}'`);
  }
  switch (second) {
    case 'plan':
    case 'commit':
    case 'clear':
      noMore([third, ...rest]);
      return { kind: second };
    case 'join': {
      if (third === undefined) throw new UsageError('cluster join needs the URL of the node to join');
      const url = normalizeNodeUrl(third);
      if (url === undefined) throw new UsageError(`'${third}' is not an http(s):// URL`);
      noMore(rest);
      return { kind: 'join', url };
    }
    case 'leave':
    case 'force-remove':
      if (third === undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(third))
        throw new UsageError(`cluster ${second} needs a node id`);
      noMore(rest);
      return { kind: second, node: third };
    case undefined:
      throw new UsageError('cluster needs a subcommand: join, leave, force-remove, plan, commit or clear');
    default:
      throw new UsageError(`unknown cluster subcommand '${second}'`);
  }
}

/** Runs one command; resolves with the exit code. */
export async function runAdmin(argv: readonly string[], io: AdminIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const out = io.stdout ?? ((t: string) => process.stdout.write(t));
  const err = io.stderr ?? ((t: string) => process.stderr.write(t));
  let command: Command;
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'jwt-secret': { type: 'string' },
        json: { type: 'boolean', default: false },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values;
    if (values.help === true) {
      out(`${ADMIN_USAGE}\n`);
      return 0;
    }
    command = parseCommand(parsed.positionals);
  } catch (e) {
    err(`cartwheel-admin: ${(e as Error).message}\nRun cartwheel-admin --help for the commands.\n`);
    return 2;
  }
  const rawUrl = (values.url as string | undefined) ?? env.CARTWHEEL_URL ?? 'http://127.0.0.1:8080';
  const url = normalizeNodeUrl(rawUrl);
  const timeoutMs = Number(values['timeout-ms'] ?? 10_000);
  if (url === undefined || !Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    err(
      url === undefined
        ? `cartwheel-admin: --url '${rawUrl}' is not an http(s):// URL\n`
        : 'cartwheel-admin: --timeout-ms must be a positive whole number\n',
    );
    return 2;
  }
  const given = (values.token as string | undefined) ?? env.CARTWHEEL_TOKEN;
  const secret = (values['jwt-secret'] as string | undefined) || env.JWT_SECRET || DEV_JWT_SECRET;
  let signed: Promise<string> | undefined;
  const token =
    given ??
    (() => {
      signed ??= signToken(secret, { sub: 'cartwheel-admin', role: 'admin' }, { ttlSeconds: 300 });
      return signed;
    });
  const options = { timeoutMs, ...(io.fetch === undefined ? {} : { fetch: io.fetch }) };
  const client = new AdminClient(url, token, options);
  const json = values.json === true;
  const print = (value: unknown, text: () => string) =>
    out(`${json ? JSON.stringify(value, null, 2) : text()}\n`);
  try {
    switch (command.kind) {
      case 'member-status': {
        const v = await client.members();
        print(v, () => formatMembers(v));
        break;
      }
      case 'ring-status': {
        const v = await client.ring();
        print(v, () => formatRing(v));
        break;
      }
      case 'aae-status': {
        const v = await client.aae();
        print(v, () => formatAae(v));
        break;
      }
      case 'transfers': {
        const v = await clusterTransfers(client, (u) => new AdminClient(u, token, options));
        print(v, () => formatTransfers(v));
        break;
      }
      case 'plan': {
        const v = await client.plan();
        print(v, () => formatPlan(v, false, url));
        break;
      }
      case 'commit': {
        const v = await client.commit();
        print(v, () => formatPlan(v, true, url));
        break;
      }
      case 'clear': {
        const v = await client.clear();
        print(v, () => formatStaged(v, url));
        break;
      }
      case 'join': {
        const v = await client.join(command.url);
        print(v, () => formatJoin(v, url));
        break;
      }
      case 'leave': {
        const v = await client.leave(command.node);
        print(v, () => formatStaged(v, url));
        break;
      }
      case 'force-remove': {
        const v = await client.forceRemove(command.node);
        print(v, () => formatStaged(v, url));
        break;
      }
    }
    return 0;
  } catch (e) {
    if (e instanceof ApiError) {
      err(`cartwheel-admin: ${e.code}: ${e.message}\n`);
      if (e.code === 'UNAUTHORIZED' || e.code === 'ROLE_REQUIRED')
        err(
          'Pass an admin token (--token, CARTWHEEL_TOKEN) or the cluster secret (--jwt-secret, JWT_SECRET).\n',
        );
      return 1;
    }
    throw e;
  }
}

/**
 * riak-admin transfers: every member's view (the nodes the answering node knows the address of),
 * summed. A member that cannot be reached is listed; a removed one that is gone does not count.
 */
export async function clusterTransfers(
  client: AdminClient,
  clientFor: (url: string) => AdminClient,
): Promise<ClusterTransfers> {
  const members = await client.members();
  const nodes: TransfersView[] = [];
  const unreachable: { node: string; status: string; error: string }[] = [];
  let pendingTransfers = 0;
  await Promise.all(
    members.members.map(async (m) => {
      if (m.url === null) {
        if (m.status !== 'removed')
          unreachable.push({ node: m.node, status: m.status, error: 'address unknown' });
        return;
      }
      try {
        const t = await (m.node === members.node ? client : clientFor(m.url)).transfers();
        nodes.push(t);
        if (m.node === members.node) pendingTransfers = t.pendingTransfers;
      } catch (e) {
        unreachable.push({ node: m.node, status: m.status, error: (e as Error).message });
      }
    }),
  );
  nodes.sort((a, b) => (a.node < b.node ? -1 : 1));
  unreachable.sort((a, b) => (a.node < b.node ? -1 : 1));
  const moving = nodes.reduce((sum, n) => sum + n.active.length + n.hintBacklog, 0);
  const blocked = unreachable.filter((u) => u.status !== 'removed').length;
  return {
    node: members.node,
    pendingTransfers,
    nodes,
    unreachable,
    total: pendingTransfers + moving + blocked,
  };
}
