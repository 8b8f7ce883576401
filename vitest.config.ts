import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts DynamoDB Local, kinesis-mock and s3rver once; tests `inject('endpoints')` and call
    // attachLocalStack with their own prefix (fresh tables/streams, no JVM restart per file).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: at most two test files at once, each in its own process (handlers read process.env).
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
