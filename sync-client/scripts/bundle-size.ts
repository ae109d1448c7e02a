// Prints the minified + gzip size of the client library (budget 30,000 bytes gzip); `--json` for machines.
import { BUNDLE_BUDGET_GZIP_BYTES as BUDGET_GZIP, measureClientBundle } from './bundle.js';

const size = await measureClientBundle();
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ ...size, budgetGzipBytes: BUDGET_GZIP }));
} else {
  console.log('bundle                                   minified      gzip   budget');
  console.log(
    `SyncClient + createBrowserReplicaStore  ${String(size.minifiedBytes).padStart(9)} ${String(size.gzipBytes).padStart(9)} ${String(BUDGET_GZIP).padStart(8)}`,
  );
}
if (size.gzipBytes > BUDGET_GZIP) process.exitCode = 1;
