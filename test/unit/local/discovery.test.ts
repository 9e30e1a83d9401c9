/** runtime.json holds the documented fields and no others. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DISCOVERY_FIELDS, runtimeDiscovery, writeDiscovery } from '../../../local/discovery';

const ROOT = join(__dirname, '..', '..', '..');

/** Dotted paths of every leaf of a JSON object. */
function fieldPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, child]) =>
    fieldPaths(child, prefix ? `${prefix}.${key}` : key),
  );
}

describe('runtime.json', () => {
  it('holds exactly the documented fields, whatever else the app reports', () => {
    // Prepare: resources with a field the file does not document
    const dir = mkdtempSync(join(tmpdir(), 'mlops-discovery-'));
    const discovery = runtimeDiscovery({
      pid: 42,
      region: 'us-east-1',
      endpoints: {
        s3: 'http://a',
        dynamodb: 'http://b',
        eventbridge: 'http://c',
        sagemaker: 'http://d',
        sagemakerRuntime: 'http://e',
        cloudwatch: 'http://f',
        stepfunctions: 'http://g',
        applicationAutoScaling: 'http://h',
        cloudformation: 'http://i',
      },
      resources: {
        dataBucket: 'data',
        artifactsBucket: 'artifacts',
        registryTable: 'registry',
        trainingStateMachine: 'arn',
        somethingNew: 'x',
      } as Parameters<typeof runtimeDiscovery>[0]['resources'],
    });

    // Act
    writeDiscovery(dir, discovery);

    // Assess
    const written = JSON.parse(readFileSync(join(dir, 'runtime.json'), 'utf8')) as unknown;
    rmSync(dir, { recursive: true, force: true });
    expect(fieldPaths(written)).toEqual([...DISCOVERY_FIELDS]);
  });

  it('is documented in the README field by field', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### runtime.json'));
    const documented = [...section.matchAll(/^\| `([\w.]+)`\s*\|/gm)].map((match) => match[1]);
    expect(documented).toEqual([...DISCOVERY_FIELDS]);
  });
});
