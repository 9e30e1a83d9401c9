import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/support/global-setup.ts'],
    setupFiles: ['./test/support/cdk-outdir.ts'],
    // Synth and DynamoDB Local start-up dominate; two cores are what CI has. The end-to-end files mostly wait
    // (time-scaled schedules, endpoints, a JVM): four workers on two cores took the suite from 495 s to 341 s.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: false,
    // Node 20 is supported until 2027; the SDK's notice about it would be repeated in every worker.
    // s3rver's paginated listings cipher their tokens with DES, which OpenSSL 3 keeps in its legacy provider
    // (local/aws/s3.ts): the workers, and the processes tests start with their environment, enable it.
    execArgv: ['--openssl-legacy-provider'],
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NODE_OPTIONS: [process.env.NODE_OPTIONS, '--openssl-legacy-provider'].filter(Boolean).join(' '),
    },
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
