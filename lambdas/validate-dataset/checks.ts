/** The dataset-level checks around pass 1: configuration before reading, whole-file facts after it. */
import { isClassification } from '../shared/dataset-contract';
import type { ValidateDatasetInput } from './index';
import type { ValidateDatasetOptions } from './options';
import type { ProblemCollector } from './problems';
import type { PassResult } from './validate';

/** Problems that need no reading: conflicting configuration, a declared size over the limit. */
export function checkConfiguration(
  input: ValidateDatasetInput,
  options: ValidateDatasetOptions,
  problems: ProblemCollector,
): void {
  const { contract } = input;
  if (contract !== undefined && input.targetColumn !== undefined && input.targetColumn !== contract.target) {
    problems.add({
      kind: 'contract-conflict',
      message: `the configured target column ${JSON.stringify(input.targetColumn)} differs from the contract's target ${JSON.stringify(contract.target)} (expected them to agree)`,
    });
  }
  if (
    contract !== undefined &&
    input.problemType !== undefined &&
    input.problemType !== contract.problemType
  ) {
    problems.add({
      kind: 'contract-conflict',
      message: `the configured problem type "${input.problemType}" differs from the contract's "${contract.problemType}" (expected them to agree)`,
    });
  }
  const declared = contract?.labels;
  if (
    declared !== undefined &&
    input.labels !== undefined &&
    declared.join('\u0000') !== input.labels.join('\u0000')
  ) {
    problems.add({
      kind: 'contract-conflict',
      message: `the configured labels ${JSON.stringify(input.labels)} differ from the contract's ${JSON.stringify(declared)} (expected them to agree)`,
    });
  }
  if (input.contentLength !== undefined && input.contentLength > options.maxBytes) {
    problems.add(tooLarge(input.contentLength, options.maxBytes, 'declares'));
  }
}

export function tooLarge(bytes: number, maxBytes: number, verb: 'declares' | 'has at least') {
  return {
    kind: 'too-large' as const,
    message: `the file ${verb} ${bytes} bytes (expected at most ${maxBytes}, the configured maxBytes)`,
    expected: `at most ${maxBytes} bytes`,
  };
}

/** Checks that need the whole file: enough rows, enough rows per class, the number of classes. */
export function checkWholeDataset(
  result: PassResult,
  options: ValidateDatasetOptions,
  problems: ProblemCollector,
): void {
  const { target, problemType } = result;
  if (result.rows === 0 || target === undefined || problemType === undefined) return;
  if (result.rows < options.minRows) {
    problems.add({
      kind: 'too-few-rows',
      message: `the file has ${result.rows} data row${result.rows === 1 ? '' : 's'} (expected at least ${options.minRows}, the configured minRows)`,
      expected: `at least ${options.minRows} rows`,
    });
  }
  if (!isClassification(problemType) || target.categories === null || target.overflow) return;
  const present = target.categories.values.filter((_, code) => (target.counts[code] ?? 0) > 0);
  const name = JSON.stringify(target.name);
  if (present.length < 2) {
    problems.add({
      kind: 'single-class',
      message: `column ${name}: every row has the label ${JSON.stringify(present[0] ?? '')} (expected at least 2 classes for ${problemType} classification)`,
      column: target.name,
      expected: 'at least 2 classes',
    });
  }
  if (problemType === 'binary' && present.length > 2) {
    problems.add({
      kind: 'too-many-classes',
      message: `column ${name}: ${present.length} labels (${present
        .slice(0, 10)
        .map((v) => JSON.stringify(v))
        .join(', ')}) for binary classification (expected exactly 2)`,
      column: target.name,
      expected: 'exactly 2 classes',
    });
  }
  target.categories.values.forEach((value, code) => {
    if (target.counts[code] !== 1) return;
    problems.add({
      kind: 'too-few-rows',
      message: `column ${name}: the class ${JSON.stringify(value)} has only 1 row (expected at least 2, so that both the train and the validation split get one)`,
      column: target.name,
      value,
      expected: 'at least 2 rows per class',
    });
  });
}
