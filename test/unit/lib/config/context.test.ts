import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, readConfigContext, settingsForModel } from '../../../../lib/config';

const region = 'us-east-1';

describe('configuration sources: built-in defaults <- cdk.json context <- -c overrides', () => {
  it('reads the mlops context object', () => {
    // Prepare
    const app = new App({ context: { mlops: { stage: 'prod', models: { churn: { approval: 'auto' } } } } });

    // Act
    const config = loadConfig(app, region);

    // Assess
    expect(config.stage).toBe('prod');
    expect(settingsForModel(config, 'churn').approval).toBe('auto');
  });

  it('lets dotted -c overrides win over the context object, parsing JSON values', () => {
    // Prepare: what `cdk synth -c mlops.stage=prod -c mlops.models.churn.training.instanceCount=2` passes
    const app = new App({
      context: {
        mlops: { stage: 'dev', models: { churn: { approval: 'manual', training: { instanceCount: 1 } } } },
        'mlops.stage': 'prod',
        'mlops.models.churn.training.instanceCount': '2',
        'mlops.alarmEmails': '["ops@example.com"]',
      },
    });

    // Act
    const raw = readConfigContext(app.node);
    const config = loadConfig(app, region);

    // Assess
    expect(raw).toEqual({
      stage: 'prod',
      alarmEmails: ['ops@example.com'],
      models: { churn: { approval: 'manual', training: { instanceCount: 2 } } },
    });
    expect(config.stage).toBe('prod');
    expect(settingsForModel(config, 'churn').training.instanceCount).toBe(2);
  });

  it('accepts the whole configuration as a JSON string (-c mlops=...)', () => {
    // Prepare
    const app = new App({ context: { mlops: '{"stage":"prod"}' } });

    // Act
    const config = loadConfig(app, region);

    // Assess
    expect(config.stage).toBe('prod');
  });

  it('falls back to built-in defaults without any context', () => {
    // Act
    const config = loadConfig(new App(), region);

    // Assess
    expect(config.stage).toBe('dev');
    expect(settingsForModel(config, 'anything').training.instanceType).toBe('ml.m5.xlarge');
  });

  it('names the context key when the JSON string is malformed', () => {
    // Prepare
    const app = new App({ context: { mlops: '{stage: prod}' } });

    // Act
    const load = () => loadConfig(app, region);

    // Assess
    expect(load).toThrowError(ConfigError);
    expect(load).toThrowError(/- mlops: is not valid JSON/);
  });

  it('refuses an override that would write inside a scalar', () => {
    // Prepare
    const app = new App({ context: { mlops: { stage: 'dev' }, 'mlops.stage.name': 'x' } });

    // Act
    const load = () => loadConfig(app, region);

    // Assess
    expect(load).toThrowError('mlops.stage.name: cannot set a key inside stage, which is "dev"');
  });

  it('refuses prototype keys in overrides', () => {
    // Prepare
    const app = new App({ context: { 'mlops.__proto__.polluted': 'yes' } });

    // Act
    const load = () => loadConfig(app, region);

    // Assess
    expect(load).toThrowError('"__proto__" is not a usable key in a context override');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('validates values that arrive through overrides like any other', () => {
    // Prepare
    const app = new App({ context: { 'mlops.models.churn.training.instanceType': 'm5.large' } });

    // Act
    const load = () => loadConfig(app, region);

    // Assess
    expect(load).toThrowError(
      'models.churn.training.instanceType: "m5.large" is not a SageMaker instance type (expected e.g. "ml.m5.xlarge")',
    );
  });
});
