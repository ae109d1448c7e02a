import { describe, expect, it } from 'vitest';
import { measureClientBundle } from '../scripts/bundle.js';

describe('bundle size', () => {
  it('SyncClient + IndexedDB store stay within 30 KiB minified + gzip', async () => {
    const size = await measureClientBundle();
    expect(size.minifiedBytes).toBeGreaterThan(10_000); // the measurement really bundled something
    expect(size.gzipBytes).toBeLessThanOrEqual(30 * 1024);
  });
});
