/** What `upload --wait` reports of a run between two polls (cli/upload.ts stepsSince). */
import { describe, expect, it } from 'vitest';
import { stepsSince } from '../../../cli/upload';
import type { Run } from '../../../lambdas/shared/registry';

const run = (status: Run['status'], step?: string): Run => ({
  runId: 'churn-1',
  model: 'churn',
  status,
  dataset: { bucket: 'data', key: 'datasets/churn/a.csv' },
  startedAt: '2026-01-01T00:00:00.000Z',
  ...(step === undefined ? {} : { step }),
});

/** `status (step)` of each run reported. */
const shown = (runs: readonly Run[]) => runs.map((r) => `${r.status} (${r.step ?? '-'})`);

describe('stepsSince', () => {
  it('reports every step a run passed through since the last poll, in order, then the run as it is (RegisterModel comes with the outcome)', () => {
    // Act
    const firstSeenDone = stepsSince(undefined, run('Succeeded', 'RegisterModel'));
    const fromTraining = stepsSince(run('Running', 'TrainModel'), run('Succeeded', 'RegisterModel'));
    const failedInTraining = stepsSince(undefined, run('Failed', 'TrainModel'));
    const runningOn = stepsSince(run('Running', 'ValidateDataset'), run('Running', 'EvaluateModel'));

    // Assess
    expect(shown(firstSeenDone)).toEqual([
      'Running (ValidateDataset)',
      'Running (TrainModel)',
      'Running (EvaluateModel)',
      'Succeeded (RegisterModel)',
    ]);
    expect(shown(fromTraining)).toEqual(['Running (EvaluateModel)', 'Succeeded (RegisterModel)']);
    expect(shown(failedInTraining)).toEqual([
      'Running (ValidateDataset)',
      'Running (TrainModel)',
      'Failed (TrainModel)',
    ]);
    expect(shown(runningOn)).toEqual(['Running (TrainModel)', 'Running (EvaluateModel)']);
  });

  it('does not repeat the step shown last, and reports a step it does not know as it is', () => {
    // Act
    const ended = stepsSince(run('Running', 'ValidateDataset'), run('Failed', 'ValidateDataset'));
    const duplicate = stepsSince(undefined, run('Succeeded', 'ValidateDataset'));
    const unknown = stepsSince(run('Running', 'TrainModel'), run('Running', 'Calibrate'));
    const none = stepsSince(undefined, run('Running'));

    // Assess
    expect(shown(ended)).toEqual(['Failed (ValidateDataset)']);
    expect(shown(duplicate)).toEqual(['Running (ValidateDataset)', 'Succeeded (ValidateDataset)']);
    expect(shown(unknown)).toEqual(['Running (Calibrate)']);
    expect(shown(none)).toEqual(['Running (-)']);
  });
});
