import { storeFactory } from '../stores/index.js';
import type { SimConfig } from './config.js';
import { runSeed } from './run-seed.js';
import type { SeedPair } from './summary.js';

/** Runs one seed against Cartwheel and (optionally) the LWW control under the same plan. */
export async function runPair(config: SimConfig, withControl: boolean): Promise<SeedPair> {
  const cartwheel = await runSeed({ ...config, store: 'cartwheel' }, storeFactory('cartwheel'));
  const control = withControl
    ? await runSeed({ ...config, store: 'control' }, storeFactory('control'))
    : undefined;
  return { seed: config.seed, cartwheel, control };
}
