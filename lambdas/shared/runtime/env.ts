/**
 * Environment configuration for the Lambdas. Handlers read it once at module load, so a function deployed
 * without a variable fails at init with a message naming it, not later inside some invocation.
 */
import * as z from '../zod';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Returns the value of a required environment variable.
 *
 * @param name - the variable, e.g. `REGISTRY_TABLE_NAME`
 * @param env - where to read it from; `process.env` unless a test passes its own
 * @throws Error `Missing environment variable X (set by the stack)` when it is unset or blank
 */
export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Missing environment variable ${name} (set by the stack)`);
  }
  return value;
}

/**
 * Parses a required environment variable as JSON and validates it with a zod schema.
 *
 * @param name - the variable, e.g. `MODEL_SETTINGS`
 * @param schema - what the value must look like
 * @param env - where to read it from; `process.env` unless a test passes its own
 * @returns the parsed value, typed by the schema
 * @throws Error naming the variable when it is missing, not JSON, or does not match the schema
 */
export function parseJsonEnv<T>(name: string, schema: z.core.$ZodType<T>, env: Env = process.env): T {
  const raw = requireEnv(name, env);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`Environment variable ${name} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = z.safeParse(schema, json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`Environment variable ${name} does not have the expected shape: ${problems.join('; ')}`);
  }
  return parsed.data;
}
