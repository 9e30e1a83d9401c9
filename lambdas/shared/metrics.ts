/** The problem types the stack trains for. */
export type ProblemType = 'binary' | 'multiclass' | 'regression';

export const PROBLEM_TYPES: readonly ProblemType[] = ['binary', 'multiclass', 'regression'];

export interface ObjectiveMetric {
  /** SageMaker metric name, e.g. `validation:auc`. */
  readonly name: string;
  /** Whether a larger value is a better model. */
  readonly higherIsBetter: boolean;
  /** Closed range of legal values, when the metric is bounded. */
  readonly range?: readonly [number, number];
  /** Problem types the built-in XGBoost algorithm reports this metric for. */
  readonly problemTypes: readonly ProblemType[];
}

const unit: readonly [number, number] = [0, 1];

/**
 * Validation metrics the SageMaker built-in XGBoost algorithm emits, with their direction.
 * Source: SageMaker developer guide, "Tune an XGBoost model" (metrics computed by the XGBoost algorithm).
 */
export const XGBOOST_METRICS: readonly ObjectiveMetric[] = [
  { name: 'validation:auc', higherIsBetter: true, range: unit, problemTypes: ['binary'] },
  { name: 'validation:error', higherIsBetter: false, range: unit, problemTypes: ['binary'] },
  { name: 'validation:f1', higherIsBetter: true, range: unit, problemTypes: ['binary', 'multiclass'] },
  { name: 'validation:accuracy', higherIsBetter: true, range: unit, problemTypes: ['binary', 'multiclass'] },
  {
    name: 'validation:logloss',
    higherIsBetter: false,
    range: [0, Number.POSITIVE_INFINITY],
    problemTypes: ['binary'],
  },
  { name: 'validation:merror', higherIsBetter: false, range: unit, problemTypes: ['multiclass'] },
  {
    name: 'validation:mlogloss',
    higherIsBetter: false,
    range: [0, Number.POSITIVE_INFINITY],
    problemTypes: ['multiclass'],
  },
  {
    name: 'validation:rmse',
    higherIsBetter: false,
    range: [0, Number.POSITIVE_INFINITY],
    problemTypes: ['regression'],
  },
  {
    name: 'validation:mae',
    higherIsBetter: false,
    range: [0, Number.POSITIVE_INFINITY],
    problemTypes: ['regression'],
  },
  {
    name: 'validation:mse',
    higherIsBetter: false,
    range: [0, Number.POSITIVE_INFINITY],
    problemTypes: ['regression'],
  },
];

/** The objective each problem type is judged on unless the model's config names another. */
export const DEFAULT_OBJECTIVE: Readonly<Record<ProblemType, string>> = {
  binary: 'validation:auc',
  multiclass: 'validation:mlogloss',
  regression: 'validation:rmse',
};

export function findXgboostMetric(name: string): ObjectiveMetric | undefined {
  return XGBOOST_METRICS.find((metric) => metric.name === name);
}

/** Four decimals, the precision people compare metrics at; significant digits when that would show 0. */
export function formatMetric(value: number): string {
  const fixed = value.toFixed(4);
  return value !== 0 && Number(fixed) === 0 ? value.toPrecision(4) : fixed;
}
