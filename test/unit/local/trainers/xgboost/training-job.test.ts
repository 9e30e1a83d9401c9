import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readChannel } from '../../../../../local/trainers/xgboost/channel-data';
import { loadModel, predict } from '../../../../../local/trainers/xgboost/gbdt';
import { auc, formatMetricValue } from '../../../../../local/trainers/xgboost/metrics';
import { BANNER, EarlyStopping, runTrainingJob } from '../../../../../local/trainers/xgboost/training-job';
import { createJob, type JobLayout } from './job';
import { binaryLabel, dataset, threeClassLabel, toCsv } from './synthetic';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const binaryCsv = toCsv(dataset(600, 4, 1, binaryLabel));
const binaryValidationCsv = toCsv(dataset(300, 4, 2, binaryLabel));

/** Runs the trainer in this process on a fresh job directory. */
async function run(layout: JobLayout, extraEnv: Record<string, string> = {}) {
  const job = createJob(layout);
  roots.push(job.root);
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTrainingJob(
    { ...job.env, ...extraEnv },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  );
  const failurePath = path.join(job.root, 'output', 'failure');
  const modelPath = path.join(job.root, 'model', 'xgboost-model.json');
  return {
    code,
    out,
    err,
    root: job.root,
    rounds: out.filter((line) => /^\[\d+\]\t/.test(line)),
    failure: existsSync(failurePath) ? readFileSync(failurePath, 'utf8') : undefined,
    model: existsSync(modelPath) ? loadModel(readFileSync(modelPath, 'utf8')) : undefined,
  };
}

describe('the trainer under the SageMaker training contract', () => {
  it('trains on the train channel, reports train and validation metrics each round, and saves the model', async () => {
    // Act
    const result = await run({
      hyperparameters: {
        num_round: '8',
        max_depth: '3',
        objective: 'binary:logistic',
        eval_metric: 'auc,logloss',
      },
      channels: { train: { 'part-0.csv': binaryCsv }, validation: { 'part-0.csv': binaryValidationCsv } },
      inputDataConfig: {
        train: { ContentType: 'text/csv' },
        validation: { ContentType: 'text/csv; label_size=1' },
      },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.out[0]).toBe(BANNER);
    expect(result.rounds).toHaveLength(8);
    for (const [round, line] of result.rounds.entries()) {
      expect(line).toMatch(
        new RegExp(
          `^\\[${round}\\]\\ttrain-auc:[01]\\.\\d{5}\\ttrain-logloss:\\d\\.\\d{5}\\tvalidation-auc:[01]\\.\\d{5}\\tvalidation-logloss:\\d\\.\\d{5}$`,
        ),
      );
    }
    expect(result.failure).toBeUndefined();
    expect(result.model?.numRound).toBe(8);
    expect(result.model?.metadata).toMatchObject({
      trainRows: 600,
      validationRows: 300,
      evalMetric: ['auc', 'logloss'],
    });
  });

  it('prints the validation metric of the saved model (what SageMaker records as its final metric)', async () => {
    // Prepare
    const validation = dataset(300, 4, 2, binaryLabel);

    // Act
    const result = await run({
      hyperparameters: { num_round: '5', objective: 'binary:logistic', eval_metric: 'auc' },
      channels: { train: { 'a.csv': binaryCsv }, validation: { 'a.csv': toCsv(validation) } },
    });

    // Assess
    const model = result.model;
    expect(model).toBeDefined();
    if (!model) return;
    const expected = formatMetricValue(auc(validation.labels, predict(model, validation.features)));
    expect(result.rounds.at(-1)).toMatch(new RegExp(`\\tvalidation-auc:${expected}$`));
  });

  it('reads SM_HPS when there is no hyperparameters.json, and trains without a validation channel', async () => {
    // Prepare: the training toolkit hands SM_HPS JSON-decoded
    const hps = JSON.stringify({
      num_round: 4,
      objective: 'multi:softprob',
      num_class: 3,
      eval_metric: 'merror',
    });

    // Act
    const result = await run(
      { channels: { train: { 'part-0.csv': toCsv(dataset(300, 3, 3, threeClassLabel)) } } },
      { SM_HPS: hps },
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.rounds).toHaveLength(4);
    expect(result.rounds[3]).toMatch(/^\[3\]\ttrain-merror:0\.\d{5}$/);
    expect(result.model?.numClass).toBe(3);
    expect(result.model?.trees).toHaveLength(12);
  });

  it('stops early when the last metric on validation stops improving', async () => {
    // Prepare: labels are noise, so validation logloss soon gets worse
    const noise = (rows: number, seed: number) =>
      toCsv(dataset(rows, 3, seed, (_row, random) => (random() < 0.5 ? 1 : 0)));

    // Act
    const result = await run({
      hyperparameters: { num_round: '100', objective: 'binary:logistic', early_stopping_rounds: '3' },
      channels: { train: { 'a.csv': noise(300, 4) }, validation: { 'a.csv': noise(300, 5) } },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.rounds.length).toBeLessThan(100);
    expect(result.out.some((line) => line.includes('early stopping: no improvement in 3 rounds'))).toBe(true);
    const bestIteration = result.model?.metadata?.bestIteration as number;
    expect(result.rounds.length - 1 - bestIteration).toBe(3);
  });

  it('reads every file of a channel, nested ones too, skipping hidden files, with empty fields as missing', async () => {
    // Act
    const result = await run({
      hyperparameters: { num_round: '2' },
      channels: {
        train: {
          'b.csv': '1,2,\n2,,4\n',
          'a/part.csv': '3,1,1\r\n\r\n4,2,2\r\n',
          '.hidden.csv': 'not,a,number\n',
        },
      },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.out).toContain('[local-xgboost] train: 4 rows x 2 features from 2 file(s)');
  });

  it('warns about hyperparameters it ignores', async () => {
    // Act
    const result = await run({
      hyperparameters: { num_round: '1', colour: 'blue' },
      channels: { train: { 'a.csv': '1,2\n2,3\n' } },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.err).toContain(
      '[local-xgboost] WARNING: hyperparameter colour is not a SageMaker XGBoost 1.7-1 hyperparameter; ignored',
    );
  });
});

describe('failures', () => {
  const failureOf = async (layout: JobLayout) => {
    const result = await run(layout);
    expect(result.code).toBe(1);
    expect(result.model).toBeUndefined();
    expect(result.err).toContain(result.failure?.trimEnd());
    return result.failure;
  };

  it.each([
    [
      'a missing num_round',
      { hyperparameters: {}, channels: { train: { 'a.csv': '1,2\n' } } },
      'ClientError: Missing required hyperparameter: num_round (the number of boosting rounds, >= 1)\n',
    ],
    [
      'a field that is not a number',
      { hyperparameters: { num_round: '1' }, channels: { train: { 'a.csv': '1,2,3\n0,4,abc\n' } } },
      'ClientError: train channel, a.csv line 2, column 3: "abc" is not a number\n',
    ],
    [
      'a row of the wrong width',
      { hyperparameters: { num_round: '1' }, channels: { train: { 'a.csv': '1,2,3\n0,4\n' } } },
      'ClientError: train channel, a.csv line 2: 2 fields, expected 3 (a label and 2 features, as in train channel, a.csv line 1)\n',
    ],
    [
      'a validation channel with other features',
      {
        hyperparameters: { num_round: '1' },
        channels: { train: { 'a.csv': '1,2,3\n' }, validation: { 'v.csv': '1,2\n' } },
      },
      'ClientError: validation channel, v.csv line 1: 2 fields, expected 3 (a label and 2 features, as in the train channel)\n',
    ],
    [
      'a label the objective cannot learn',
      {
        hyperparameters: { num_round: '1', objective: 'binary:logistic' },
        channels: { train: { 'a.csv': '1,2\n2,3\n' } },
      },
      'ClientError: train channel, a.csv line 2, column 1: label 2: binary:logistic needs labels in [0, 1]\n',
    ],
    [
      'a missing label',
      { hyperparameters: { num_round: '1' }, channels: { train: { 'a.csv': ',2\n' } } },
      'ClientError: train channel, a.csv line 1, column 1: the label "" is not a number\n',
    ],
    [
      'malformed CSV quoting',
      { hyperparameters: { num_round: '1' }, channels: { train: { 'a.csv': '1,2\n0,"3\n' } } },
      /^ClientError: train channel, a\.csv: Quote Not Closed/,
    ],
    [
      'an empty channel',
      { hyperparameters: { num_round: '1' }, channels: { train: { 'a.csv': '\n\n' } } },
      /^ClientError: The train channel \(.*\) has no rows\n$/,
    ],
    [
      'a channel that is not CSV',
      {
        hyperparameters: { num_round: '1' },
        channels: { train: { 'a.csv': '1,2\n' } },
        inputDataConfig: { train: { ContentType: 'text/libsvm' } },
      },
      'ClientError: The train channel has content type "text/libsvm"; the local stand-in for SageMaker XGBoost reads text/csv only\n',
    ],
    [
      'early stopping without validation',
      {
        hyperparameters: { num_round: '5', early_stopping_rounds: '2' },
        channels: { train: { 'a.csv': '1,2\n' } },
      },
      'ClientError: early_stopping_rounds needs a validation channel\n',
    ],
  ] as const)('writes the reason for %s to output/failure and exits 1', async (_name, layout, expected) => {
    // Act
    const failure = await failureOf(layout as JobLayout);

    // Assess
    if (typeof expected === 'string') expect(failure).toBe(expected);
    else expect(failure).toMatch(expected);
  });

  it('fails when the train channel is missing', async () => {
    // Act
    const result = await run({ hyperparameters: { num_round: '1' }, channels: {} });

    // Assess
    expect(result.code).toBe(1);
    expect(result.failure).toMatch(
      /^ClientError: The train channel directory .*input\/data\/train does not exist\n$/,
    );
  });
});

describe('readChannel', () => {
  it('reads labels and features row-major, missing values as NaN', async () => {
    // Prepare
    const job = createJob({ channels: { train: { 'a.csv': '1,0.5,\n0,nan,-2e3\n' } } });
    roots.push(job.root);

    // Act
    const data = await readChannel('train', job.env.SM_CHANNEL_TRAIN as string);

    // Assess
    expect(Array.from(data.labels)).toEqual([1, 0]);
    expect(Array.from(data.features.values)).toEqual([0.5, Number.NaN, Number.NaN, -2000]);
    expect(data.features).toMatchObject({ rows: 2, columns: 2, layout: 'row-major' });
  });
});

describe('EarlyStopping', () => {
  it('stops after the given number of rounds without improvement, in the metric direction', () => {
    // Prepare
    const minimize = new EarlyStopping(2, false);
    const maximize = new EarlyStopping(2, true);

    // Act
    const minimizeStops = [0.5, 0.4, 0.45, 0.41].map((score, round) => minimize.update(round, score));
    const maximizeStops = [0.5, 0.6, 0.7, 0.65].map((score, round) => maximize.update(round, score));

    // Assess
    expect(minimizeStops).toEqual([false, false, false, true]);
    expect(minimize.bestRound).toBe(1);
    expect(maximizeStops).toEqual([false, false, false, false]);
    expect(maximize.bestScore).toBe(0.7);
  });
});
