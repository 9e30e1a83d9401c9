import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Synth and DynamoDB Local start-up dominate; two cores are what CI has.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
