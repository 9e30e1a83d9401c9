#!/usr/bin/env node
import { App, Aws, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { omitUndefined } from '../lambdas/shared/omit-undefined';
import { ConfigError, loadConfig } from '../lib/config';
import { ServerlessMlopsStack } from '../lib/serverless-mlops-stack';

const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

try {
  const config = loadConfig(app, region ?? Aws.REGION);
  new ServerlessMlopsStack(app, 'ServerlessMlops', {
    // Unset: an environment-agnostic stack.
    env: omitUndefined({ account, region }),
    config,
    description: `serverless-mlops (${config.stage}): CSV in S3 to a monitored model`,
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A config mistake is the user's to fix: show the list, not a stack trace.
  console.error(error.message);
  process.exit(1);
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
