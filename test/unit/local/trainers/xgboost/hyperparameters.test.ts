import { describe, expect, it } from 'vitest';
import { ClientError, failureReason } from '../../../../../local/trainers/xgboost/errors';
import {
  normalizeHyperparameters,
  parseHyperparameters,
} from '../../../../../local/trainers/xgboost/hyperparameters';

const metricNames = (hyperparameters: Record<string, string>) =>
  parseHyperparameters(hyperparameters).metrics.map((metric) => metric.name);

describe('parseHyperparameters', () => {
  it('maps the honoured hyperparameters onto the learner', () => {
    // Act
    const config = parseHyperparameters({
      num_round: '50',
      objective: 'binary:logistic',
      max_depth: '4',
      eta: '0.1',
      gamma: '0.5',
      min_child_weight: '2',
      lambda: '3',
      alpha: '0.25',
      max_delta_step: '1',
      subsample: '0.8',
      colsample_bytree: '0.7',
      colsample_bylevel: '0.9',
      colsample_bynode: '0.6',
      scale_pos_weight: '2.5',
      base_score: '0.3',
      max_bin: '64',
      seed: '-7',
      early_stopping_rounds: '5',
    });

    // Assess
    expect(config.params).toEqual({
      objective: 'binary:logistic',
      numRound: 50,
      maxDepth: 4,
      eta: 0.1,
      gamma: 0.5,
      minChildWeight: 2,
      lambda: 3,
      alpha: 0.25,
      maxDeltaStep: 1,
      subsample: 0.8,
      colsampleBytree: 0.7,
      colsampleBylevel: 0.9,
      colsampleBynode: 0.6,
      scalePosWeight: 2.5,
      baseScore: 0.3,
      maxBin: 64,
      seed: -7,
    });
    expect(config.earlyStoppingRounds).toBe(5);
    expect(config.warnings).toEqual([]);
  });

  it("defaults the objective to reg:squarederror and eval_metric to the objective's", () => {
    // Act & Assess
    expect(parseHyperparameters({ num_round: '1' }).params.objective).toBe('reg:squarederror');
    expect(metricNames({ num_round: '1' })).toEqual(['rmse']);
    expect(metricNames({ num_round: '1', objective: 'binary:logistic' })).toEqual(['logloss']);
    expect(metricNames({ num_round: '1', objective: 'multi:softmax', num_class: '3' })).toEqual(['mlogloss']);
  });

  it('takes eval_metric as a comma list, plus the tuning objective metric', () => {
    // Act
    const names = metricNames({
      num_round: '1',
      objective: 'binary:logistic',
      eval_metric: 'auc, error@0.7,f1',
      _tuning_objective_metric: 'validation:aucpr',
    });

    // Assess
    expect(names).toEqual(['auc', 'error@0.7', 'f1', 'aucpr']);
  });

  it('requires num_round, as SageMaker does', () => {
    // Act & Assess
    expect(() => parseHyperparameters({ max_depth: '3' })).toThrow(
      new ClientError('Missing required hyperparameter: num_round (the number of boosting rounds, >= 1)'),
    );
  });

  it('fails on values of the wrong type or out of range, naming the hyperparameter and the range', () => {
    // Act & Assess
    expect(() => parseHyperparameters({ num_round: '10.5' })).toThrow(
      'num_round: "10.5" is not an integer >= 1',
    );
    expect(() => parseHyperparameters({ num_round: '0' })).toThrow('is not an integer >= 1');
    expect(() => parseHyperparameters({ num_round: '5', eta: '1.5' })).toThrow(
      'Hyperparameter eta: "1.5" is not a number >= 0 and <= 1',
    );
    expect(() => parseHyperparameters({ num_round: '5', subsample: '0' })).toThrow(
      'is not a number > 0 and <= 1',
    );
    expect(() => parseHyperparameters({ num_round: '5', lambda: 'lots' })).toThrow('lambda: "lots"');
    expect(() => parseHyperparameters({ num_round: '5', verbosity: '7' })).toThrow('verbosity: "7"');
    expect(() => parseHyperparameters({ num_round: '5', tree_method: 'fast' })).toThrow(
      'tree_method: "fast"',
    );
  });

  it('checks num_class against the objective', () => {
    // Act & Assess
    expect(() => parseHyperparameters({ num_round: '5', objective: 'multi:softprob' })).toThrow(
      'num_class is required with objective multi:softprob',
    );
    expect(() => parseHyperparameters({ num_round: '5', num_class: '3' })).toThrow(
      'num_class applies only to multi:softmax and multi:softprob',
    );
    expect(() =>
      parseHyperparameters({ num_round: '5', objective: 'multi:softprob', num_class: '1' }),
    ).toThrow('num_class: "1" is not an integer >= 2');
  });

  it('checks eval_metric against the objective and the metrics it knows', () => {
    // Act & Assess
    expect(() =>
      parseHyperparameters({
        num_round: '5',
        objective: 'multi:softprob',
        num_class: '3',
        eval_metric: 'auc',
      }),
    ).toThrow('"auc" does not apply to objective multi:softprob');
    expect(() => parseHyperparameters({ num_round: '5', eval_metric: 'ndcg' })).toThrow(
      '"ndcg" is not implemented by the local stand-in',
    );
    expect(() => parseHyperparameters({ num_round: '5', eval_metric: 'rsquared' })).toThrow(
      'SageMaker XGBoost calls R squared "r2"',
    );
    expect(() => parseHyperparameters({ num_round: '5', _tuning_objective_metric: 'auc' })).toThrow(
      'is not e.g. "validation:auc"',
    );
  });

  it('fails on objectives and settings the stand-in does not implement', () => {
    // Act & Assess
    expect(() => parseHyperparameters({ num_round: '5', objective: 'count:poisson' })).toThrow(
      'objective: "count:poisson" is not implemented by the local stand-in',
    );
    expect(() => parseHyperparameters({ num_round: '5', objective: 'reg:cubic' })).toThrow(
      'is not an XGBoost objective',
    );
    expect(() => parseHyperparameters({ num_round: '5', booster: 'dart' })).toThrow(
      'booster: "dart" is not implemented',
    );
    expect(() => parseHyperparameters({ num_round: '5', csv_weights: '1' })).toThrow('csv_weights: "1"');
    expect(() =>
      parseHyperparameters({ num_round: '5', objective: 'binary:logistic', base_score: '1' }),
    ).toThrow('must be in (0, 1) for binary:logistic');
  });

  it('ignores unknown and unimplemented hyperparameters with a warning', () => {
    // Act
    const config = parseHyperparameters({
      num_round: '5',
      foo: 'bar',
      monotone_constraints: '(1,-1)',
      tree_method: 'exact',
      booster: 'gbtree',
      nthread: '4',
      constructor: 'x',
    });

    // Assess
    expect(config.warnings).toEqual([
      'hyperparameter foo is not a SageMaker XGBoost 1.7-1 hyperparameter; ignored',
      'hyperparameter monotone_constraints is not honoured by the local stand-in for SageMaker XGBoost; ignored',
      'tree_method exact: the local stand-in always grows trees like tree_method=hist',
      'hyperparameter constructor is not a SageMaker XGBoost 1.7-1 hyperparameter; ignored',
    ]);
  });
});

describe('normalizeHyperparameters', () => {
  it("accepts SM_HPS's JSON-decoded values as the strings SageMaker sent", () => {
    // Act
    const values = normalizeHyperparameters({
      num_round: 100,
      eta: 0.3,
      flag: true,
      list: [1, 2],
      name: 'x',
    });

    // Assess
    expect(values).toEqual({ num_round: '100', eta: '0.3', flag: 'true', list: '[1,2]', name: 'x' });
  });

  it('refuses anything but an object', () => {
    // Act & Assess
    expect(() => normalizeHyperparameters([1])).toThrow(ClientError);
    expect(() => normalizeHyperparameters('num_round=1')).toThrow(ClientError);
  });
});

describe('failureReason', () => {
  it("is one line, prefixed with SageMaker's error kind", () => {
    // Act & Assess
    expect(failureReason(new ClientError('bad\n value'))).toBe('ClientError: bad value');
    expect(failureReason(new TypeError('oops'))).toBe('AlgorithmError: oops');
  });
});
