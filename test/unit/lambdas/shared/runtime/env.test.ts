import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { parseJsonEnv, requireEnv } from '../../../../../lambdas/shared/runtime/env';

describe('requireEnv', () => {
  it('returns the value', () => {
    // Act + Assess
    expect(requireEnv('TABLE', { TABLE: 'registry' })).toBe('registry');
  });

  it.each([
    ['unset', {}],
    ['empty', { TABLE: '' }],
    ['blank', { TABLE: '  ' }],
  ])('fails with a clear message when %s', (_name, env) => {
    // Act + Assess
    expect(() => requireEnv('TABLE', env)).toThrow('Missing environment variable TABLE (set by the stack)');
  });
});

describe('parseJsonEnv', () => {
  const schema = z.object({ models: z.array(z.string()) });

  it('parses and validates', () => {
    // Act
    const value = parseJsonEnv('SETTINGS', schema, { SETTINGS: '{"models":["churn"]}' });

    // Assess
    expect(value).toEqual({ models: ['churn'] });
  });

  it('names the variable when it is missing', () => {
    // Act + Assess
    expect(() => parseJsonEnv('SETTINGS', schema, {})).toThrow(
      'Missing environment variable SETTINGS (set by the stack)',
    );
  });

  it('names the variable and the parser error when it is not JSON', () => {
    // Act + Assess
    expect(() => parseJsonEnv('SETTINGS', schema, { SETTINGS: '{models:' })).toThrow(
      /^Environment variable SETTINGS is not valid JSON: .+/,
    );
  });

  it('names the variable and the paths when it has the wrong shape', () => {
    // Act + Assess
    expect(() => parseJsonEnv('SETTINGS', schema, { SETTINGS: '{"models":[1]}' })).toThrow(
      /^Environment variable SETTINGS does not have the expected shape: models\.0: /,
    );
  });
});
