import { runPropertySuite } from './properties.js';
import { runScenarioSuite } from './scenarios.js';
import {
  cartHarness,
  cartTypeHarness,
  counterHarness,
  lwwRegisterHarness,
  mvRegisterHarness,
  orMapHarness,
  orSetHarness,
} from './type-harnesses.js';

// Every type runs the same scenario suite and the same properties.
for (const h of [
  cartHarness,
  cartTypeHarness,
  orSetHarness,
  mvRegisterHarness,
  counterHarness,
  lwwRegisterHarness,
]) {
  runScenarioSuite(h as Parameters<typeof runScenarioSuite>[0]);
  runPropertySuite(h as Parameters<typeof runPropertySuite>[0]);
}
for (const kind of ['counter', 'set', 'mvRegister', 'lwwRegister'] as const) {
  runScenarioSuite(orMapHarness(kind) as Parameters<typeof runScenarioSuite>[0]);
  runPropertySuite(orMapHarness(kind) as Parameters<typeof runPropertySuite>[0], { numRuns: 30 });
}
