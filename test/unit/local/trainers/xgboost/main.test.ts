import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../../../local/trainers/xgboost/gbdt';
import { createJob, type JobLayout } from './job';
import { binaryLabel, dataset, toCsv } from './synthetic';

const MAIN = path.resolve(__dirname, '../../../../../local/trainers/xgboost/main.ts');
// An absolute loader URL: the trainer runs in the job directory, where a bare `tsx` does not resolve.
const TSX = pathToFileURL(createRequire(__filename).resolve('tsx')).href;
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Runs main.ts as SageMaker would run the image: its own process, the job's environment and nothing else. */
async function runMain(layout: JobLayout) {
  const job = createJob(layout);
  roots.push(job.root);
  const env = { PATH: process.env.PATH ?? '', ...job.env };
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(process.execPath, ['--import', TSX, MAIN], { cwd: job.root, env }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    },
  );
  const failurePath = path.join(job.root, 'output', 'failure');
  const modelPath = path.join(job.root, 'model', 'xgboost-model.json');
  return {
    code,
    stdout: stdout.split('\n'),
    stderr,
    failure: existsSync(failurePath) ? readFileSync(failurePath, 'utf8') : undefined,
    modelPath,
  };
}

describe('local/trainers/xgboost/main.ts as a process', () => {
  it('prints the banner and one XGBoost-style line per round, writes the model and exits 0', async () => {
    // Act
    const result = await runMain({
      hyperparameters: { num_round: '6', max_depth: '3', objective: 'binary:logistic', eval_metric: 'auc' },
      channels: {
        train: { 'train.csv': toCsv(dataset(500, 4, 1, binaryLabel)) },
        validation: { 'validation.csv': toCsv(dataset(200, 4, 2, binaryLabel)) },
      },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout[0]).toMatch(
      /^Local stand-in for SageMaker XGBoost 1\.7-1: .*not from XGBoost itself\)$/,
    );
    const rounds = result.stdout.filter((line) => /^\[\d+\]\t/.test(line));
    expect(rounds).toHaveLength(6);
    expect(rounds[5]).toMatch(/^\[5\]\ttrain-auc:\d\.\d{5}\tvalidation-auc:\d\.\d{5}$/);
    expect(result.failure).toBeUndefined();
    expect(loadModel(readFileSync(result.modelPath, 'utf8')).trees).toHaveLength(6);
  });

  it('writes output/failure and exits 1 without num_round', async () => {
    // Act
    const result = await runMain({
      hyperparameters: { max_depth: '3' },
      channels: { train: { 'a.csv': '1,2\n' } },
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.failure).toBe(
      'ClientError: Missing required hyperparameter: num_round (the number of boosting rounds, >= 1)\n',
    );
    expect(result.stderr).toContain('Missing required hyperparameter: num_round');
    expect(existsSync(result.modelPath)).toBe(false);
  });

  it('writes output/failure and exits 1 on a malformed CSV', async () => {
    // Act
    const result = await runMain({
      hyperparameters: { num_round: '3' },
      channels: { train: { 'part-0.csv': '1,2,3\n0,4,5\n1,x,6\n' } },
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.failure).toBe(
      'ClientError: train channel, part-0.csv line 3, column 2: "x" is not a number\n',
    );
  });
});
