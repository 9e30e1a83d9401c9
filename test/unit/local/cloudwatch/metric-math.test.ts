import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { CloudWatchError } from '../../../../local/cloudwatch/errors';
import { getMetricData } from '../../../../local/cloudwatch/metric-data';
import { evaluate, parse, type Series } from '../../../../local/cloudwatch/metric-math';
import { MetricStore } from '../../../../local/cloudwatch/store';

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const START = NOW - 5 * MINUTE;

/** Datapoints at minutes 0..4 after START (undefined: none that minute). */
function storeWith(series: Record<string, (number | undefined)[]>): MetricStore {
  const store = new MetricStore();
  for (const [name, values] of Object.entries(series)) {
    values.forEach((value, minute) => {
      if (value === undefined) return;
      store.put(
        'Local/Test',
        [{ MetricName: name, Value: value, Timestamp: new Date(START + minute * MINUTE + 1000) }],
        NOW,
      );
    });
  }
  return store;
}

const stat = (id: string, name: string, returnData = false): MetricDataQuery => ({
  Id: id,
  MetricStat: { Metric: { Namespace: 'Local/Test', MetricName: name }, Period: 60, Stat: 'Sum' },
  ReturnData: returnData,
});

function run(store: MetricStore, queries: MetricDataQuery[], extra: object = {}) {
  return getMetricData(store, {
    MetricDataQueries: queries,
    StartTime: new Date(START),
    EndTime: new Date(NOW),
    ScanBy: 'TimestampAscending',
    ...extra,
  });
}

const minutes = (...ms: number[]) => ms.map((m) => new Date(START + m * MINUTE));

describe('metric math', () => {
  it("computes the deployment's error rate: FILLed error series, values only where there were invocations", () => {
    const store = storeWith({
      Invocation4XXErrors: [undefined, 1, undefined, undefined, undefined],
      Invocation5XXErrors: [undefined, undefined, 2, undefined, undefined],
      Invocations: [10, 10, 10, undefined, 4],
    });
    const { MetricDataResults } = run(store, [
      stat('errors4xx', 'Invocation4XXErrors'),
      stat('errors5xx', 'Invocation5XXErrors'),
      stat('invocations', 'Invocations'),
      {
        Id: 'errorRate',
        Expression: '100 * (FILL(errors4xx, 0) + FILL(errors5xx, 0)) / invocations',
        Label: 'Invocation error rate (%)',
        ReturnData: true,
      },
    ]);
    expect(MetricDataResults).toEqual([
      {
        Id: 'errorRate',
        Label: 'Invocation error rate (%)',
        Timestamps: minutes(0, 1, 2, 4),
        Values: [0, 10, 20, 0],
        StatusCode: 'Complete',
        Messages: [],
      },
    ]);
  });

  it('applies operator precedence, unary minus, powers and the functions', () => {
    const grid = [0, 1, 2];
    const series = (values: (number | undefined)[]): Series =>
      new Map(values.flatMap((v, i) => (v === undefined ? [] : [[i, v] as [number, number]])));
    const m = series([1, undefined, 3]);
    const n = series([2, 2, 2]);
    const lookup = (id: string) => (id === 'm' ? m : n);
    const at = (expression: string) => evaluate('e', parse('e', expression), grid, lookup);
    expect(at('1 + 2 * 3 ^ 2')).toBe(19);
    expect(at('-m + n')).toEqual(series([1, undefined, -1]));
    expect(at('FILL(m, REPEAT)')).toEqual(
      new Map([
        [0, 1],
        [2, 3],
        [1, 1],
      ]),
    );
    expect(at('FILL(m, LINEAR)')).toEqual(
      new Map([
        [0, 1],
        [2, 3],
        [1, 2],
      ]),
    );
    expect(at('ABS(0 - m)')).toEqual(series([1, undefined, 3]));
    expect(at('SUM([m, n])')).toEqual(series([3, 2, 5]));
    expect(at('AVG(m)')).toBe(2);
    expect(at('m / 0')).toEqual(new Map());
  });

  it('refuses unknown ids, functions and syntax as ValidationError', () => {
    const store = storeWith({});
    const bad = (expression: string) => {
      try {
        run(store, [stat('m1', 'X'), { Id: 'e1', Expression: expression, ReturnData: true }]);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    for (const expression of ['m2 * 2', 'METRICS_INSIGHTS(m1)', 'm1 +', '(m1']) {
      const error = bad(expression);
      expect(error).toBeInstanceOf(CloudWatchError);
      expect((error as CloudWatchError).code).toBe('ValidationError');
    }
    expect(() => run(store, [{ Id: 'M1', Expression: '1', ReturnData: true }])).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValue' }),
    );
    expect(() =>
      run(store, [
        { Id: 'a', Expression: 'b', ReturnData: true },
        { Id: 'b', Expression: 'a', ReturnData: false },
      ]),
    ).toThrow('Circular dependency');
  });

  it('pages by MaxDatapoints with NextToken, newest first by default', () => {
    const store = storeWith({ A: [1, 2, 3, 4, 5], B: [10, 20, 30, 40, 50] });
    const queries = [stat('a', 'A', true), stat('b', 'B', true)];
    const pages = [];
    let token: string | undefined;
    do {
      const page = getMetricData(store, {
        MetricDataQueries: queries,
        StartTime: new Date(START),
        EndTime: new Date(NOW),
        MaxDatapoints: 4,
        ...(token ? { NextToken: token } : {}),
      });
      pages.push(page.MetricDataResults?.map((r) => [r.Id, r.Values, r.StatusCode]));
      token = page.NextToken;
    } while (token);
    expect(pages).toEqual([
      [
        ['a', [5, 4, 3, 2], 'PartialData'],
        ['b', [], 'PartialData'],
      ],
      [
        ['a', [1], 'Complete'],
        ['b', [50, 40, 30], 'PartialData'],
      ],
      [
        ['a', [], 'Complete'],
        ['b', [20, 10], 'Complete'],
      ],
    ]);
  });
});
