import { defineConfig } from 'vitest/config';

// The kernel proof: real namespaces, iptables-nft and xtables-monitor (see
// README in this folder). One file at a time: each builds its own namespaces,
// and the suite is paced by the kernel, not by CPU.
export default defineConfig({
  test: {
    include: ['e2e/kernel/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
