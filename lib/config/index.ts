import type { Construct } from 'constructs';
import { type MlopsConfig, resolveConfig } from './config';
import { readConfigContext } from './context';

export * from './config';
export { CONTEXT_KEY, readConfigContext } from './context';
export { ConfigError, type ConfigIssue } from './errors';
export { builtInXgboostImage, DEFAULT_XGBOOST_VERSION, XGBOOST_REGISTRY_ACCOUNTS } from './training-images';

/** Reads, validates and resolves the configuration from a construct's CDK context. */
export function loadConfig(scope: Construct, region: string): MlopsConfig {
  return resolveConfig(readConfigContext(scope.node), { region });
}
