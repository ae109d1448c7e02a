/**
 * The slice of abstract-level that the catalog uses, with string keys and values. A `level`
 * database (classic-level on disk) or a `memory-level` one both fit, as do their sublevels.
 */
export type LevelBatchOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

export interface LevelRange {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  limit?: number;
  reverse?: boolean;
}

export interface LevelLike {
  get(key: string): Promise<string | undefined>;
  getMany(keys: string[]): Promise<(string | undefined)[]>;
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  batch(ops: LevelBatchOp[]): Promise<void>;
  iterator(options: LevelRange): AsyncIterable<[string, string]>;
  keys(options: LevelRange): AsyncIterable<string>;
  sublevel(name: string, options?: { valueEncoding?: string; keyEncoding?: string }): LevelLike;
}

/** The last key of a string prefix range (`prefix` ≤ k < prefixEnd(prefix)). */
export function prefixEnd(prefix: string): string {
  return `${prefix}\uffff`;
}
