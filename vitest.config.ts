import { defineConfig } from 'vitest/config';

// The SDK's notice that its 2027 releases will need Node 22 would print once per test process: noise
// here (the README's requirement is Node 20; the Lambda runtime is nodejs22.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Three projects, `npm test` runs all of them:
// - unit (`npm run test:unit`): no Java, no services, no CDK synth — the domain, the pipeline on
//   in-memory stores, the oracles, the layering rule; seconds, not minutes.
// - infra (`npm run test:infra`): synthesises the CDK app (esbuild bundles every handler) and checks
//   the template, cdk-nag and IAM; no services either, but a minute of CPU.
// - integration: everything else, against DynamoDB Local, kinesis-mock and s3rver (started once).
const unit = ['test/unit/**/*.test.ts', 'test/oracle/**/*.test.ts'];
const infra = ['test/infra/**/*.test.ts', 'test/security/iam.test.ts'];
// The console bundle the api function serves is build output: every project builds it first.
const buildConsole = 'test/support/build-console.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Handler logs (Powertools JSON lines) are held back and printed only for a failing test
    // (MEMBERFLOW_TEST_VERBOSE=1 prints them as they come).
    setupFiles: ['test/support/quiet-logs.ts'],
    // Two cores: at most two test files at once, each in its own process (handlers read process.env).
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      // Unit files share their worker's module cache (no isolation): half the CPU of `test:unit`
      // went into importing the same domain, simulator and oracle modules afresh for every file
      // (120 s → 60 s of CPU measured; no unit test keeps state in a module between files).
      { extends: true, test: { name: 'unit', include: unit, isolate: false, globalSetup: [buildConsole] } },
      { extends: true, test: { name: 'infra', include: infra, globalSetup: [buildConsole] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...unit, ...infra],
          // Starts DynamoDB Local, kinesis-mock and s3rver once; tests `inject('endpoints')` and call
          // attachLocalStack with their own prefix (fresh tables/streams, no JVM restart per file).
          globalSetup: [buildConsole, 'test/global-setup.ts'],
        },
      },
    ],
  },
});
