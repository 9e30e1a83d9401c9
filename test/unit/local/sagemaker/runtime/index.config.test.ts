import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../../../lib/config';
import { serverMappings } from '../../../../../local/sagemaker/runtime';

const region = 'us-east-1';
const IMAGE = '111122223333.dkr.ecr.us-east-1.amazonaws.com/mine';

function issuesOf(raw: unknown): string[] {
  try {
    resolveConfig(raw, { region });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('mlops.local.trainers[].serve', () => {
  it('keeps a serving command beside the training command', () => {
    const config = resolveConfig(
      {
        local: {
          trainers: [
            {
              image: IMAGE,
              command: ['python3', './train.py'],
              serve: { command: ['python3', './serve.py'] },
            },
          ],
        },
      },
      { region },
    );
    expect(config.local.trainers).toEqual([
      { image: IMAGE, command: ['python3', './train.py'], serve: { command: ['python3', './serve.py'] } },
    ]);
  });

  it('refuses an empty serving command and unknown keys', () => {
    expect(
      issuesOf({ local: { trainers: [{ image: IMAGE, command: ['x'], serve: { command: [] } }] } }),
    ).toEqual(['local.trainers[0].serve.command: [] is too small (expected at least 1)']);
    expect(
      issuesOf({
        local: { trainers: [{ image: IMAGE, command: ['x'], serve: { command: ['x'], port: 8080 } }] },
      }),
    ).toHaveLength(1);
  });

  it('becomes the runtime server mappings, ./ paths from the project, entries without serve left out', () => {
    expect(
      serverMappings(
        [
          { image: IMAGE, serve: { command: ['python3', './serving/serve.py', '--workers', '1'] } },
          { image: 'other' },
        ],
        '/project',
      ),
    ).toEqual([{ image: IMAGE, command: 'python3', args: ['/project/serving/serve.py', '--workers', '1'] }]);
  });
});
