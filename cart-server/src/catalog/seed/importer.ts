/**
 * JSONL importer. Each line is parsed and validated on its own; a bad line (invalid JSON, schema
 * violation, over-long line) is reported with its 1-based line number and the import goes on —
 * it never aborts and never drops a line silently. Valid products are written in batches.
 * Lines are split by a bounded splitter, so one huge line cannot exhaust memory.
 */
import { describeIssues, MAX_PRODUCT_BYTES, markValidated, type Product, productSchema } from '../product.js';

export interface RejectedLine {
  readonly line: number;
  readonly error: string;
}

export interface ImportProgress {
  readonly bytes: number;
  readonly lines: number;
  readonly imported: number;
  readonly rejected: number;
}

export interface ImportReport extends ImportProgress {
  readonly blank: number;
  /** The first `maxReportedRejects` rejections (all of them go to `onReject`). */
  readonly rejectedLines: RejectedLine[];
  readonly ms: number;
}

export interface ImportOptions {
  readonly batchSize?: number;
  readonly maxLineBytes?: number;
  readonly maxReportedRejects?: number;
  readonly onProgress?: (p: ImportProgress) => void;
  readonly onReject?: (r: RejectedLine) => void;
  /** Called with each written batch (e.g. to invalidate caches, record ids). */
  readonly write: (batch: Product[]) => Promise<void>;
}

type Chunk = Uint8Array | string;

interface RawLine {
  readonly line: number;
  readonly text: string | null; // null: too long, content discarded
  readonly bytes: number;
}

/** Splits a byte stream on '\n' (tolerating '\r\n'), keeping at most `maxBytes` per line. */
export async function* splitLines(source: AsyncIterable<Chunk>, maxBytes: number): AsyncGenerator<RawLine> {
  const decoder = new TextDecoder();
  let parts: Uint8Array[] = [];
  let size = 0;
  let overflow = false;
  let line = 0;
  const finish = (): RawLine => {
    line++;
    let text: string | null = null;
    if (!overflow) {
      text = decoder.decode(concat(parts, size));
      if (text.endsWith('\r')) text = text.slice(0, -1);
    }
    const out = { line, text, bytes: size };
    parts = [];
    size = 0;
    overflow = false;
    return out;
  };
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    let start = 0;
    while (start <= bytes.length) {
      const nl = bytes.indexOf(10, start);
      const end = nl === -1 ? bytes.length : nl;
      const piece = bytes.subarray(start, end);
      if (!overflow) {
        if (size + piece.length > maxBytes) {
          overflow = true;
          parts = [];
        } else if (piece.length > 0) parts.push(piece.slice());
      }
      size += piece.length;
      if (nl === -1) break;
      yield finish();
      start = nl + 1;
    }
  }
  if (size > 0 || parts.length > 0) yield finish();
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(
    Math.min(
      size,
      parts.reduce((n, p) => n + p.length, 0),
    ),
  );
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export async function importJsonl(
  source: AsyncIterable<Chunk>,
  options: ImportOptions,
): Promise<ImportReport> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 500;
  const maxLine = options.maxLineBytes ?? MAX_PRODUCT_BYTES;
  const maxReported = options.maxReportedRejects ?? 1000;
  const rejectedLines: RejectedLine[] = [];
  let bytes = 0;
  let lines = 0;
  let imported = 0;
  let rejected = 0;
  let blank = 0;
  let batch: Product[] = [];
  let lastProgress = 0;

  const reject = (line: number, error: string): void => {
    rejected++;
    const r = { line, error };
    if (rejectedLines.length < maxReported) rejectedLines.push(r);
    options.onReject?.(r);
  };
  const progress = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    options.onProgress?.({ bytes, lines, imported, rejected });
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const out = batch;
    batch = [];
    await options.write(out);
    imported += out.length;
  };

  for await (const raw of splitLines(source, maxLine)) {
    lines = raw.line;
    bytes += raw.bytes + 1;
    if (raw.text === null) {
      reject(raw.line, `line longer than ${maxLine} bytes`);
      continue;
    }
    if (raw.text.trim() === '') {
      blank++;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw.text);
    } catch (err) {
      reject(raw.line, `invalid JSON: ${(err as Error).message}`);
      continue;
    }
    const parsed = productSchema.safeParse(value);
    if (!parsed.success) {
      reject(raw.line, describeIssues(parsed.error.issues));
      continue;
    }
    batch.push(markValidated(parsed.data));
    if (batch.length >= batchSize) await flush();
    progress(false);
  }
  await flush();
  progress(true);
  return {
    bytes,
    lines,
    imported,
    rejected,
    blank,
    rejectedLines,
    ms: Math.round(performance.now() - started),
  };
}
