import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_KEY, loadConfig } from '../../lib/config';
import { ServerlessMlopsStack } from '../../lib/serverless-mlops-stack';

export const TEST_ENV = { account: '123456789012', region: 'us-east-1' } as const;

/** cdk.json's context: `new App()` in a test does not read cdk.json, so the feature flags are passed in. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** An App with the project's feature flags and no asset bundling (fast synth). */
export function testApp(context: Record<string, unknown> = {}): App {
  const { [CONTEXT_KEY]: _ignored, ...flags } = cdkJsonContext();
  return new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [], ...context } });
}

export interface SynthOptions {
  /** Raw `mlops` configuration; cdk.json's is not used unless passed. */
  readonly config?: Record<string, unknown>;
  readonly region?: string;
  /** Run cdk-nag AwsSolutions; synth throws on any unacknowledged finding. */
  readonly nag?: boolean;
}

/** Synthesizes the real stack the way bin/app.ts does. */
export function synthStack(options: SynthOptions = {}): { stack: ServerlessMlopsStack; template: Template } {
  const app = testApp({ [CONTEXT_KEY]: options.config ?? {} });
  const env = { ...TEST_ENV, region: options.region ?? TEST_ENV.region };
  const stack = new ServerlessMlopsStack(app, 'ServerlessMlops', {
    env,
    config: loadConfig(app, env.region),
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return { stack, template: Template.fromStack(stack) };
}
