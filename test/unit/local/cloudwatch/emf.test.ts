import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENTRY_METADATA_KEY } from '../../../../lib/constructs/pipeline-function';
import { type LocalCloudWatch, startLocalCloudWatch } from '../../../../local/cloudwatch';
import { parseEmf } from '../../../../local/cloudwatch/emf';
import { loadFunctions } from '../../../../local/lambda/functions';
import { LocalResources } from '../../../../local/template/local-resources';
import type { CfnTemplate } from '../../../../local/template/template';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** An EMF line as Powertools Metrics prints it (dev mode: through the global console). */
function powertoolsLine(build: (metrics: Metrics) => void): string {
  const saved = { ...process.env };
  Object.assign(process.env, { POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' });
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    lines.push(String(line));
  });
  try {
    const metrics = new Metrics({ namespace: 'ServerlessMlops', serviceName: 'test' });
    metrics.clearDefaultDimensions();
    build(metrics);
    metrics.publishStoredMetrics();
  } finally {
    spy.mockRestore();
    process.env = saved;
  }
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

describe('embedded metric format', () => {
  let cloudwatch: LocalCloudWatch;
  let client: CloudWatchClient;

  beforeAll(async () => {
    cloudwatch = await startLocalCloudWatch({ region: REGION, account: '000000000000' });
    client = new CloudWatchClient({
      region: REGION,
      endpoint: cloudwatch.endpoint,
      credentials: CREDENTIALS,
    });
  });

  afterAll(async () => {
    client.destroy();
    await cloudwatch.stop();
  });

  const sum = async (metricName: string, dimensions: { Name: string; Value: string }[]) => {
    const { Datapoints = [] } = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: 'ServerlessMlops',
        MetricName: metricName,
        Dimensions: dimensions,
        StartTime: new Date(Date.now() - 600_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 3600,
        Statistics: ['Sum', 'SampleCount'],
      }),
    );
    return Datapoints.map((d) => [d.Sum, d.SampleCount]);
  };

  it("turns Powertools Metrics' lines into datapoints, one per value and dimension set", async () => {
    const line = powertoolsLine((metrics) => {
      metrics.addDimension('model', 'penguins');
      metrics.addMetric('RowsRejected', MetricUnit.Count, 3);
      metrics.addMetric('TrainingSeconds', MetricUnit.Seconds, 10);
      metrics.addMetric('TrainingSeconds', MetricUnit.Seconds, 20);
    });
    expect(cloudwatch.ingestEmf(line)).toBe(true);
    expect(await sum('RowsRejected', [{ Name: 'model', Value: 'penguins' }])).toEqual([[3, 1]]);
    expect(await sum('TrainingSeconds', [{ Name: 'model', Value: 'penguins' }])).toEqual([[30, 2]]);
  });

  it('leaves other lines alone, and EMF documents that break the specification', () => {
    expect(cloudwatch.ingestEmf('{"level":"INFO","message":"hello"}')).toBe(false);
    expect(cloudwatch.ingestEmf('not json')).toBe(false);
    const valid = {
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['d']], Metrics: [{ Name: 'M', Unit: 'Count' }] }],
      },
      d: 'x',
      M: 1,
    };
    expect(parseEmf(JSON.stringify(valid))?.get('N')).toEqual([
      {
        MetricName: 'M',
        Dimensions: [{ Name: 'd', Value: 'x' }],
        Timestamp: new Date(valid._aws.Timestamp),
        Values: [1],
        Unit: 'Count',
      },
    ]);
    // A dimension without its target member, a metric value that is not a number, no time stamp.
    expect(cloudwatch.ingestEmf(JSON.stringify({ ...valid, d: undefined }))).toBe(false);
    expect(cloudwatch.ingestEmf(JSON.stringify({ ...valid, M: 'one' }))).toBe(false);
    expect(
      cloudwatch.ingestEmf(JSON.stringify({ ...valid, _aws: { ...valid._aws, Timestamp: undefined } })),
    ).toBe(false);
    // An invalid unit fails PutMetricData's validation: nothing is stored.
    const badUnit = {
      ...valid,
      _aws: {
        ...valid._aws,
        CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [[]], Metrics: [{ Name: 'M', Unit: 'Parsecs' }] }],
      },
    };
    expect(cloudwatch.ingestEmf(JSON.stringify(badUnit))).toBe(false);
  });

  it("captures the in-process Lambdas' EMF lines during their invocations only, printing everything else", async () => {
    const template: CfnTemplate = {
      Resources: {
        RecordDuplicate: {
          Type: 'AWS::Lambda::Function',
          Metadata: { [ENTRY_METADATA_KEY]: 'record-duplicate' },
          Properties: { Environment: { Variables: { REGISTRY_TABLE_NAME: 'Registry' } }, Timeout: 5 },
        },
      },
    } as unknown as CfnTemplate;
    const printed: unknown[][] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => {
      printed.push(args);
    };
    const sunk: string[] = [];
    try {
      const functions = await loadFunctions(
        template,
        new LocalResources(template),
        {
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
          POWERTOOLS_DEV: 'true',
          POWERTOOLS_TRACE_ENABLED: 'false',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          // Lambda's own variable: Powertools counts a cold start only for on-demand initialization.
          AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        },
        {
          emf: (line) => {
            sunk.push(line);
            return cloudwatch.ingestEmf(line);
          },
        },
      );
      const fn = functions.get('RecordDuplicate');
      // An event its schema refuses: the invocation fails at once, after Powertools' cold-start metric.
      await expect(fn?.invoke({})).rejects.toThrow();
      console.log('a line outside any invocation');
      console.log('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]}}');
    } finally {
      console.log = original;
    }
    expect(sunk.map((line) => JSON.parse(line)._aws.CloudWatchMetrics[0].Metrics)).toEqual([
      [{ Name: 'ColdStart', Unit: 'Count' }],
    ]);
    expect(printed).toEqual([
      ['a line outside any invocation'],
      ['{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]}}'],
    ]);
    // Powertools' cold-start metric carries the service and function_name dimensions.
    const coldStart = JSON.parse(sunk[0] as string) as Record<string, string>;
    expect(coldStart.function_name).toBe('RecordDuplicate');
    const dimensions = ['service', 'function_name'].map((name) => ({
      Name: name,
      Value: coldStart[name] as string,
    }));
    expect(await sum('ColdStart', dimensions)).toEqual([[1, 1]]);
  });
});
