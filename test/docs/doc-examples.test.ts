import { describe, expect, it } from 'vitest';
import { Normalizer, parseConsoleBlocks, replaceOutputs, shellWords, translateCommand } from './doc-examples';

const DOC = [
  '# Title',
  '',
  '```console',
  '$ mlops runs list',
  'RUN                     STATUS',
  'churn-0123456789abcdef  Failed',
  '$ mlops runs show churn-0123456789abcdef',
  'Run  churn-0123456789abcdef',
  '```',
  '',
  '```sh',
  '$ not an example',
  '```',
].join('\n');

describe('docs examples', () => {
  it('reads each command of each console block with the output under it, and nothing else', () => {
    // Act
    const commands = parseConsoleBlocks(DOC);

    // Assess
    expect(commands.map(({ command, output }) => ({ command, output }))).toEqual([
      {
        command: 'mlops runs list',
        output: 'RUN                     STATUS\nchurn-0123456789abcdef  Failed',
      },
      { command: 'mlops runs show churn-0123456789abcdef', output: 'Run  churn-0123456789abcdef' },
    ]);
  });

  it('writes new command lines and outputs in place', () => {
    // Prepare
    const [list, show] = parseConsoleBlocks(DOC);
    if (list === undefined || show === undefined) throw new Error('two commands expected');

    // Act
    const updated = replaceOutputs(DOC, [
      { command: list, line: 'mlops runs list', output: 'No runs.\n' },
      {
        command: show,
        line: 'mlops runs show churn-fedcba9876543210',
        output: 'Run  churn-fedcba9876543210\nA\n',
      },
    ]);

    // Assess
    expect(updated.split('\n').slice(2, 9)).toEqual([
      '```console',
      '$ mlops runs list',
      'No runs.',
      '$ mlops runs show churn-fedcba9876543210',
      'Run  churn-fedcba9876543210',
      'A',
      '```',
    ]);
  });

  it('ignores times, durations, sizes, generated ids and padding, and maps run ids by order of appearance', () => {
    // Prepare
    const doc = new Normalizer();
    const actual = new Normalizer();

    // Act
    const a = doc.normalize(
      'churn-0123456789abcdef  2025-03-01T12:00:01Z  41s  1.2 KiB  (version abc)  "eventId": "0b6c4f3e-8d2a-4c1b-9f5e-2a7d3c9e1b40"',
    );
    const b = actual.normalize(
      'churn-ffffffffffffffff    2026-11-30T08:00:00Z  3m 05s  707 B  (version xyz)  "eventId": "f47ac10b-58cc-4372-a567-0e02b2c3d479"',
    );
    const command = translateCommand('mlops runs show churn-0123456789abcdef', doc, actual);

    // Assess
    expect(a).toBe(b);
    expect(command).toBe('mlops runs show churn-ffffffffffffffff');
  });

  it('does not ignore what the program decides: statuses, versions, steps, metric values', () => {
    // Prepare
    const normalizer = new Normalizer();
    const pairs = [
      ['Status  Approved', 'Status  PendingApproval'],
      ['Version  churn v1', 'Version  churn v2'],
      ['Running (TrainModel)', 'Running (EvaluateModel)'],
      ['validation:auc 0.9137', 'validation:auc 0.9138'],
      ['by training-pipeline', 'by mlops'],
    ];

    // Act + Assess
    for (const [documented, printed] of pairs) {
      expect(normalizer.normalize(documented ?? '')).not.toBe(normalizer.normalize(printed ?? ''));
    }
  });

  it('splits command lines into words, keeping quoted text together', () => {
    expect(shellWords('mlops runs retry x --reason "quota raised" --wait')).toEqual([
      'mlops',
      'runs',
      'retry',
      'x',
      '--reason',
      'quota raised',
      '--wait',
    ]);
  });
});
