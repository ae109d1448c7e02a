/**
 * `npm run catalog:import -- catalog.jsonl [--data-dir ./data] [--rejects rejects.jsonl]`
 *   imports straight into the catalog LevelDB of a stopped server (`<data-dir>/catalog`);
 * `npm run catalog:import -- catalog.jsonl --database-url postgres://… [--redis-url redis://…]`
 *   (or DATABASE_URL / REDIS_URL) imports straight into the shared PostgreSQL catalog, servers
 *   running or not: their in-process copies drop through the store's change feed, and the Redis
 *   copies are invalidated when the Redis URL is given;
 * `npm run catalog:import -- catalog.jsonl --url http://127.0.0.1:8080 --token <admin jwt>`
 *   streams the file to a running server's admin import (which then rebuilds and promotes).
 * Progress bar on stderr; every rejected line is reported with its line number; exit code 0
 * even with rejects (they are data problems, listed), 1 only if nothing could be imported.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Level } from 'level';
import type { LevelLike } from '../../storage/level-types.js';
import { CachedProductReader } from '../cache/cached-reader.js';
import { LruProductCache } from '../cache/lru-product-cache.js';
import type { ProductCache } from '../cache/product-cache.js';
import { createCatalogRedis, waitReady } from '../cache/redis-client.js';
import { RedisProductCache } from '../cache/redis-product-cache.js';
import { DefaultCatalogService } from '../catalog-service.js';
import { type ImportReport, importJsonl, type RejectedLine } from '../seed/importer.js';
import { LevelProductStore } from '../store/level-product-store.js';
import { PostgresProductStore } from '../store/postgres-product-store.js';
import type { ProductStore } from '../store/product-store.js';
import { fail, ProgressBar, parseFlags } from './progress.js';

const { flags, positional } = parseFlags(process.argv.slice(2));
const file = positional[0];
if (file === undefined || flags.has('help')) {
  process.stdout.write(
    'usage: catalog:import -- file.jsonl [--data-dir DIR | --database-url postgres://… [--redis-url redis://…] | --url http://host:port --token JWT] [--rejects out.jsonl]\n',
  );
  process.exit(file === undefined ? 2 : 0);
}
const size = (await stat(file).catch(() => fail(`cannot read ${file}`))).size;
const rejectsPath = flags.get('rejects');
const rejectsOut = rejectsPath === undefined ? undefined : createWriteStream(rejectsPath);
const bar = new ProgressBar('import', size);
let shown = 0;
const onReject = (r: RejectedLine): void => {
  rejectsOut?.write(`${JSON.stringify(r)}\n`);
  if (shown++ < 20) process.stderr.write(`\nline ${r.line}: ${r.error}\n`);
};

let report: ImportReport;
const url = flags.get('url');
if (url !== undefined) {
  // Through a running server's admin API (the server holds the database lock).
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  const token = flags.get('token') ?? process.env.CATALOG_ADMIN_TOKEN;
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let sent = 0;
  const body = Readable.toWeb(
    createReadStream(file).on('data', (chunk) => {
      sent += chunk.length;
      bar.update(sent, `${(sent / 1e6).toFixed(1)} MB sent`);
    }),
  ) as ReadableStream<Uint8Array>;
  const res = await fetch(new URL('/v1/admin/catalog/import', url), {
    method: 'POST',
    headers,
    body,
    duplex: 'half',
  } as RequestInit);
  const json = (await res.json()) as { report?: ImportReport; error?: { code: string; message: string } };
  if (!res.ok || json.report === undefined)
    fail(`server answered ${res.status}: ${JSON.stringify(json.error ?? json)}`);
  report = json.report;
  for (const r of report.rejectedLines) onReject(r);
} else {
  const databaseUrl = flags.get('database-url') ?? process.env.DATABASE_URL;
  let store: ProductStore;
  let cache: ProductCache = new LruProductCache({ maxEntries: 1 });
  let closeLevel: (() => Promise<void>) | undefined;
  let where: string;
  if (databaseUrl !== undefined && databaseUrl !== '') {
    store = await PostgresProductStore.open({ url: databaseUrl }).catch((err: Error) => fail(err.message));
    where =
      'PostgreSQL catalog (running servers drop their cached copies; search sees the import after a rebuild)';
    const redisUrl = flags.get('redis-url') ?? process.env.REDIS_URL;
    if (redisUrl !== undefined && redisUrl !== '') {
      const redis = createCatalogRedis(redisUrl, { commandTimeoutMs: 2000 });
      await waitReady(redis, 5000).catch((err: Error) =>
        fail(`cannot reach Redis at ${redisUrl}: ${err.message}`),
      );
      cache = new RedisProductCache(redis);
    }
  } else {
    const dataDir = resolve(flags.get('data-dir') ?? process.env.DATA_DIR ?? './data');
    const level = new Level<string, string>(resolve(dataDir, 'catalog'), { valueEncoding: 'utf8' });
    await level
      .open()
      .catch((err: Error) =>
        fail(`cannot open ${dataDir}/catalog (${err.message}); is the server running? then use --url`),
      );
    store = new LevelProductStore(level as unknown as LevelLike);
    closeLevel = () => level.close();
    where = `catalog database: ${dataDir}/catalog (the server builds search from it at start)`;
  }
  const service = new DefaultCatalogService(store, new CachedProductReader(store, cache));
  report = await importJsonl(createReadStream(file), {
    write: (batch) => service.putProducts(batch),
    onReject,
    onProgress: (p) =>
      bar.update(
        p.bytes,
        `${p.imported.toLocaleString('en')} imported, ${p.rejected.toLocaleString('en')} rejected`,
      ),
  });
  await store.close();
  await cache.close();
  await closeLevel?.();
  process.stderr.write(`${where}\n`);
}
bar.done(
  `${report.imported.toLocaleString('en')} imported, ${report.rejected.toLocaleString('en')} rejected`,
);
rejectsOut?.end();
process.stdout.write(
  `${JSON.stringify({ lines: report.lines, imported: report.imported, rejected: report.rejected, blank: report.blank, ms: report.ms })}\n`,
);
if (report.rejected > 20 && rejectsPath === undefined) {
  process.stderr.write(
    `(${report.rejected - 20} more rejected lines; pass --rejects file.jsonl for all of them)\n`,
  );
}
process.exit(report.imported === 0 && report.rejected > 0 ? 1 : 0);
