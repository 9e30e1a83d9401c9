import type { Node } from 'constructs';
import { ConfigError } from './errors';

/** The context key that holds the stack's configuration (in cdk.json or `-c`). */
export const CONTEXT_KEY = 'mlops';

/**
 * Reads the raw configuration from CDK context, in order of precedence (later wins):
 * 1. `context.mlops` from cdk.json (or `-c mlops='{"stage":"prod"}'`, which replaces it whole);
 * 2. dotted overrides such as `-c mlops.stage=prod` or `-c mlops.models.churn.approval=auto`.
 * Built-in defaults sit under both and are filled in by resolveConfig.
 * Override values are JSON when they parse as JSON (numbers, booleans, arrays, objects), strings otherwise.
 */
export function readConfigContext(node: Node): Record<string, unknown> {
  const context = node.getAllContext();
  const base = parseIfString(context[CONTEXT_KEY], CONTEXT_KEY);
  if (base !== undefined && !isPlainObject(base)) {
    throw new ConfigError(
      [
        {
          path: CONTEXT_KEY,
          message: `${JSON.stringify(base)} is not an object (expected the configuration as a JSON object)`,
        },
      ],
      'the CDK context',
    );
  }
  const config: Record<string, unknown> = structuredClone(base ?? {});
  const overrides = Object.keys(context)
    .filter((key) => key.startsWith(`${CONTEXT_KEY}.`))
    .sort();
  for (const key of overrides) {
    setPath(config, key.slice(CONTEXT_KEY.length + 1).split('.'), parseOverride(context[key]), key);
  }
  return config;
}

function parseIfString(value: unknown, key: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new ConfigError(
      [{ path: key, message: `is not valid JSON (${(error as Error).message})` }],
      'the CDK context',
    );
  }
}

function parseOverride(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function setPath(
  target: Record<string, unknown>,
  keys: readonly string[],
  value: unknown,
  contextKey: string,
): void {
  let node = target;
  keys.forEach((key, index) => {
    if (key === '' || key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new ConfigError(
        [{ path: contextKey, message: `"${key}" is not a usable key in a context override` }],
        'the CDK context',
      );
    }
    if (index === keys.length - 1) {
      node[key] = value;
      return;
    }
    const child = node[key];
    if (child !== undefined && !isPlainObject(child)) {
      throw new ConfigError(
        [
          {
            path: contextKey,
            message: `cannot set a key inside ${keys.slice(0, index + 1).join('.')}, which is ${JSON.stringify(child)}`,
          },
        ],
        'the CDK context',
      );
    }
    node[key] = child ?? {};
    node = node[key] as Record<string, unknown>;
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
