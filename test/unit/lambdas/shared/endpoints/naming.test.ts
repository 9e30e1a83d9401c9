import { describe, expect, it } from 'vitest';
import {
  ALARM_KINDS,
  ALARM_NAME_MAX_LENGTH,
  alarmNames,
  endpointName,
  NAME_PREFIX_MAX_LENGTH,
  namePrefix,
  resourceNamePattern,
  SAGEMAKER_NAME_MAX_LENGTH,
  SAGEMAKER_NAME_PATTERN,
  VARIANT_NAME,
  versionedName,
  versionedNames,
} from '../../../../../lambdas/shared/endpoints/naming';
import { MAX_VERSION } from '../../../../../lambdas/shared/registry/schemas';

/** SageMaker's documented rule, written out again so the module's own constant is checked too. */
function isSageMakerName(name: string): boolean {
  return name.length >= 1 && name.length <= 63 && /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(name);
}

const LONGEST_MODEL = `m${'x'.repeat(30)}z`; // 32 characters, the registry's limit
const LONGEST_PREFIX = `p${'q'.repeat(NAME_PREFIX_MAX_LENGTH - 2)}r`;

describe('endpointName', () => {
  it('is <prefix>-<model>, the same for every version', () => {
    // Act
    const name = endpointName('mlops', 'churn');

    // Assess
    expect(name).toBe('mlops-churn');
    expect(versionedNames('mlops', 'churn', 1, 1).endpointName).toBe(name);
    expect(versionedNames('mlops', 'churn', 7, 3).endpointName).toBe(name);
  });

  it('keeps two stacks apart in one account by their prefixes', () => {
    expect(endpointName('stack-a', 'churn')).not.toBe(endpointName('stack-b', 'churn'));
  });

  it('fits the longest prefix and model name without shortening', () => {
    // Act
    const name = endpointName(LONGEST_PREFIX, LONGEST_MODEL);

    // Assess
    expect(name).toBe(`${LONGEST_PREFIX}-${LONGEST_MODEL}`);
    expect(name.length).toBe(NAME_PREFIX_MAX_LENGTH + 1 + 32);
    expect(isSageMakerName(name)).toBe(true);
  });

  it('refuses prefixes that would collide or break the pattern', () => {
    expect(() => endpointName('Mlops', 'churn')).toThrow(/lowercase/);
    expect(() => endpointName('', 'churn')).toThrow(/name prefix/);
    expect(() => endpointName('-mlops', 'churn')).toThrow(/name prefix/);
    expect(() => endpointName('mlops-', 'churn')).toThrow(/name prefix/);
    expect(() => endpointName('ml_ops', 'churn')).toThrow(/name prefix/);
    expect(() => endpointName('p'.repeat(NAME_PREFIX_MAX_LENGTH + 1), 'churn')).toThrow(/name prefix/);
  });

  it('refuses a model name the registry would not accept', () => {
    expect(() => endpointName('mlops', 'Churn')).toThrow(/not a valid model name/);
    expect(() => endpointName('mlops', 'x'.repeat(33))).toThrow(/not a valid model name/);
  });
});

describe('versionedName', () => {
  it('is <prefix>-<model>-v<version>-a<attempt>', () => {
    expect(versionedName('mlops', 'churn', 3, 1)).toBe('mlops-churn-v3-a1');
    expect(versionedName('mlops', 'churn', 3, 2)).toBe('mlops-churn-v3-a2');
  });

  it('is deterministic', () => {
    expect(versionedName(LONGEST_PREFIX, LONGEST_MODEL, MAX_VERSION, 12)).toBe(
      versionedName(LONGEST_PREFIX, LONGEST_MODEL, MAX_VERSION, 12),
    );
  });

  it('shortens long names to 63 characters, keeping version and attempt readable and names unique', () => {
    // Prepare: two long models that differ only in their last character
    const a = `${LONGEST_MODEL.slice(0, 31)}a`;
    const b = `${LONGEST_MODEL.slice(0, 31)}b`;

    // Act
    const nameA = versionedName(LONGEST_PREFIX, a, MAX_VERSION, 99);
    const nameB = versionedName(LONGEST_PREFIX, b, MAX_VERSION, 99);

    // Assess
    for (const name of [nameA, nameB]) {
      expect(name.length).toBeLessThanOrEqual(SAGEMAKER_NAME_MAX_LENGTH);
      expect(name.length).toBe(63);
      expect(isSageMakerName(name)).toBe(true);
      expect(name.startsWith(`${LONGEST_PREFIX}-`)).toBe(true);
      expect(name.endsWith(`-v${MAX_VERSION}-a99`)).toBe(true);
      expect(name).toMatch(/-[0-9a-f]{8}-v9999999999-a99$/);
    }
    expect(nameA).not.toBe(nameB);
  });

  it('never ends the shortened part with a hyphen before the hash', () => {
    // Prepare: a model whose cut falls right after a hyphen
    const prefix = 'p'.repeat(NAME_PREFIX_MAX_LENGTH);
    const model = `${'m'.repeat(17)}-${'n'.repeat(14)}`;

    // Act
    const name = versionedName(prefix, model, MAX_VERSION, 1);

    // Assess: the hash joins with exactly one hyphen, one character short of 63
    expect(name).toMatch(new RegExp(`^${prefix}-${'m'.repeat(17)}-[0-9a-f]{8}-v${MAX_VERSION}-a1$`));
    expect(name.length).toBe(62);
    expect(name).not.toMatch(/--[0-9a-f]{8}-v/);
    expect(isSageMakerName(name)).toBe(true);
  });

  it('stays a valid SageMaker name for every length of model name', () => {
    for (let length = 1; length <= 32; length += 1) {
      const model = length === 1 ? 'a' : `a${'b'.repeat(length - 2)}c`;
      for (const version of [1, 42, MAX_VERSION]) {
        const name = versionedName(LONGEST_PREFIX, model, version, 1000);
        expect(isSageMakerName(name), name).toBe(true);
        expect(SAGEMAKER_NAME_PATTERN.test(name)).toBe(true);
      }
    }
  });

  it('refuses versions and attempts that are not positive integers', () => {
    expect(() => versionedName('mlops', 'churn', 0, 1)).toThrow(/version must be an integer/);
    expect(() => versionedName('mlops', 'churn', 1.5, 1)).toThrow(/version must be an integer/);
    expect(() => versionedName('mlops', 'churn', MAX_VERSION + 1, 1)).toThrow(/version must be an integer/);
    expect(() => versionedName('mlops', 'churn', 1, 0)).toThrow(/attempt must be an integer/);
  });
});

describe('versionedNames', () => {
  it('gives model and endpoint config the same name, and the constant variant', () => {
    expect(versionedNames('mlops', 'churn', 4, 2)).toEqual({
      endpointName: 'mlops-churn',
      variantName: 'AllTraffic',
      modelName: 'mlops-churn-v4-a2',
      endpointConfigName: 'mlops-churn-v4-a2',
    });
    expect(VARIANT_NAME).toBe('AllTraffic');
    expect(isSageMakerName(VARIANT_NAME)).toBe(true);
  });
});

describe('namePrefix', () => {
  it('lowercases a stack name and joins other characters into single hyphens', () => {
    expect(namePrefix('ServerlessMlops')).toBe('serverlessmlops');
    expect(namePrefix('My_Stack..Dev')).toBe('my-stack-dev');
    expect(namePrefix('--Stack--')).toBe('stack');
  });

  it('trims to the longest prefix and never ends on a hyphen', () => {
    // Prepare: the 20th character is a separator
    const stack = `${'a'.repeat(19)}_bbbbb`;

    // Act
    const prefix = namePrefix(stack);

    // Assess
    expect(prefix).toBe('a'.repeat(19));
    expect(endpointName(prefix, 'churn')).toBe(`${'a'.repeat(19)}-churn`);
  });

  it('refuses a stack name with nothing to name by', () => {
    expect(() => namePrefix('___')).toThrow(/no letter or digit/);
  });
});

describe('resourceNamePattern', () => {
  it('covers every name of the prefix and no other stack with a longer prefix', () => {
    // Prepare
    const pattern = resourceNamePattern('mlops');
    const asRegex = new RegExp(`^${pattern.replace('*', '.*')}$`);

    // Assess
    expect(pattern).toBe('mlops-*');
    expect(asRegex.test(endpointName('mlops', 'churn'))).toBe(true);
    expect(asRegex.test(versionedName('mlops', 'churn', 9, 9))).toBe(true);
    expect(asRegex.test(endpointName('mlopsdev', 'churn'))).toBe(false);
  });
});

describe('alarmNames', () => {
  it('names one alarm per kind after the endpoint', () => {
    expect(alarmNames('mlops-churn')).toEqual({
      invocation5xxErrors: 'mlops-churn-invocation-5xx-errors',
      modelLatencyP99: 'mlops-churn-model-latency-p99',
      invocationErrorRate: 'mlops-churn-invocation-error-rate',
    });
    expect(ALARM_KINDS).toEqual(['invocation5xxErrors', 'modelLatencyP99', 'invocationErrorRate']);
  });

  it('keeps alarm names within CloudWatch limits and under the stack prefix', () => {
    // Prepare
    const endpoint = endpointName(LONGEST_PREFIX, LONGEST_MODEL);

    // Act
    const names = Object.values(alarmNames(endpoint));

    // Assess
    expect(new Set(names).size).toBe(3);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(ALARM_NAME_MAX_LENGTH);
      expect(name.startsWith(`${LONGEST_PREFIX}-`)).toBe(true);
    }
  });

  it('refuses something that is not an endpoint name', () => {
    expect(() => alarmNames('not an endpoint')).toThrow(/not a SageMaker endpoint name/);
    expect(() => alarmNames('e'.repeat(64))).toThrow(/not a SageMaker endpoint name/);
  });
});
