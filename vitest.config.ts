import { defineConfig } from 'vitest/config';

// One project per package. The `source` export condition makes workspace packages resolve to
// their TypeScript sources, so tests never run against a stale `dist/`.
const pkg = (name: string, extra: Record<string, unknown> = {}) => ({
  extends: true as const,
  test: {
    name,
    include: [`${name}/src/**/*.test.ts`, `${name}/test/**/*.test.ts`, `${name}/bench/**/*.test.ts`],
    ...extra,
  },
});

export default defineConfig({
  resolve: { conditions: ['@cartwheel/source'] },
  ssr: { resolve: { conditions: ['@cartwheel/source'], externalConditions: ['@cartwheel/source'] } },
  test: {
    projects: [pkg('crdt'), pkg('cart-server'), pkg('sync-client'), pkg('simulations')],
    // Upper bounds for a hung test, not pacing: tests wait on events and bounded polls, and a
    // machine with both cores busy (load 11) runs the real-process tests several times slower.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
