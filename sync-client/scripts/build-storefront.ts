// `npm run build -w @cartwheel/sync-client` step: storefront/ → storefront-dist/ (served at / by the cart server).
import { buildStorefront, STOREFRONT_DIST } from './bundle.js';

await buildStorefront();
console.log(`storefront built into ${STOREFRONT_DIST}`);
