import { describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_GZIP_BYTES, measureClientBundle } from '../scripts/bundle.js';

describe('bundle size', () => {
  it('SyncClient + IndexedDB store stay within 30,000 bytes minified + gzip, with no Node polyfills or shims', async () => {
    const size = await measureClientBundle();
    expect(size.minifiedBytes).toBeGreaterThan(10_000); // the measurement really bundled something
    expect(BUNDLE_BUDGET_GZIP_BYTES).toBe(30_000); // 30 KB, decimal (not 30 KiB = 30,720)
    expect(size.gzipBytes).toBeLessThanOrEqual(BUNDLE_BUDGET_GZIP_BYTES);
    expect(
      size.inputs.filter((i) => /node_modules\/(buffer|events|abstract-level|browser-level)\//.test(i)),
    ).toEqual([]);
  });
});
