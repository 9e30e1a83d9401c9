import { describe, expect, it } from 'vitest';
import { quantile } from '../../../../lambdas/shared/drift/baseline-statistics';
import { SeededRandom } from '../../../../lambdas/shared/random';
import { bytesDataset, MemorySink, validateDataset } from '../../../../lambdas/validate-dataset';
import {
  BinCounter,
  encodingOrder,
  NumericAccumulator,
  RowSampler,
} from '../../../../lambdas/validate-dataset/statistics';

/** Brute-force count of values per bin: bin i is [edges[i], edges[i+1]), the last one closed. */
function countBins(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(Math.max(edges.length - 1, 0)).fill(0);
  for (const x of values) {
    let bin = 0;
    while (bin < counts.length - 1 && x >= (edges[bin + 1] as number)) bin++;
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts;
}

/** Feeds one value per row, sampled as pass 1 does. */
function accumulate(values: readonly number[], sampleSize = 256): NumericAccumulator {
  const sampler = new RowSampler(sampleSize, 42);
  const accumulator = new NumericAccumulator(sampleSize, 4096);
  for (const x of values) {
    const slot = sampler.offer();
    accumulator.add(x);
    if (slot >= 0) accumulator.store(slot, x);
  }
  return accumulator;
}

describe('NumericAccumulator', () => {
  it('computes count, min, max, mean and population std', () => {
    // Act
    const accumulator = accumulate([2, 4, 4, 4, 5, 5, 7, 9]);

    // Assess
    expect(accumulator.count).toBe(8);
    expect(accumulator.min).toBe(2);
    expect(accumulator.max).toBe(9);
    expect(accumulator.mean).toBe(5);
    expect(accumulator.std).toBe(2);
  });

  it('stays accurate for large offsets over many blocks', () => {
    // Prepare
    const values = Array.from({ length: 10_000 }, (_, i) => 1e9 + (i % 2 === 0 ? 1 : -1));

    // Act
    const accumulator = accumulate(values);

    // Assess
    expect(accumulator.mean).toBeCloseTo(1e9, 6);
    expect(accumulator.std).toBeCloseTo(1, 9);
  });

  it('snaps quantile edges to the grid with exact counts', () => {
    // Prepare
    const random = new SeededRandom(5);
    const values = Array.from(
      { length: 20_000 },
      () => Math.round((random.next() * 200 - 100) * 1000) / 1000,
    );

    // Act
    const planned = accumulate(values, 4096).planBins(10);

    // Assess
    expect(planned.counts).not.toBeNull();
    expect(planned.edges).toHaveLength(11);
    expect(planned.edges[0]).toBe(Math.min(...values));
    expect(planned.edges[10]).toBe(Math.max(...values));
    expect(planned.counts).toEqual(countBins(values, planned.edges));
    for (const count of planned.counts ?? []) expect(count).toBeGreaterThan(1700);
  });

  it('leaves bins to pass 2 when a spike makes snapping too coarse', () => {
    // Prepare: 30% of the values at one point inside a huge range, so that point's grid cell is crowded.
    const random = new SeededRandom(9);
    const values = Array.from({ length: 5000 }, (_, i) =>
      i % 10 < 3 ? 1234.567 : (random.next() - 0.5) * 2e9,
    );

    // Act
    const planned = accumulate(values).planBins(10);
    const counter = new BinCounter(planned.edges);
    for (const x of values) counter.add(x);

    // Assess
    expect(planned.counts).toBeNull();
    expect(Array.from(counter.counts)).toEqual(countBins(values, planned.edges));
  });

  it('has one bin when every value is the same, and none without values', () => {
    // Act
    const constant = accumulate([3, 3, 3]).planBins(10);
    const empty = accumulate([]).planBins(10);

    // Assess
    expect(constant).toEqual({ edges: [3, 3], counts: [3] });
    expect(empty).toEqual({ edges: [], counts: [] });
    expect(accumulate([]).std).toBeNull();
  });

  it('draws the same sample for the same seed', () => {
    // Prepare
    const values = Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 10_007);

    // Act
    const first = accumulate(values, 64).planBins(4);
    const second = accumulate(values, 64).planBins(4);

    // Assess
    expect(second).toEqual(first);
  });
});

describe('BinCounter', () => {
  it('agrees with a brute-force count, values on edges included', () => {
    // Prepare
    const edges = [0, 0.1, 0.2, 0.30000000000000004, 0.7, 1];
    const random = new SeededRandom(1);
    const values = [...edges, ...Array.from({ length: 5000 }, () => Math.round(random.next() * 100) / 100)];

    // Act
    const counter = new BinCounter(edges);
    for (const x of values) counter.add(x);

    // Assess
    expect(Array.from(counter.counts)).toEqual(countBins(values, edges));
  });
});

describe('helpers', () => {
  it('interpolates quantiles and orders categories numerically when they are numbers', () => {
    // Act
    const median = quantile(Float64Array.from([1, 2, 3, 4]), 0.5);
    const numeric = encodingOrder(['10', '2', '1']);
    const text = encodingOrder(['b', 'B', 'a']);

    // Assess
    expect(median).toBe(2.5);
    expect(numeric).toEqual(['1', '2', '10']);
    expect(text).toEqual(['B', 'a', 'b']);
  });
});

describe('baseline statistics of a small known dataset', () => {
  it('reports numeric, categorical and label statistics', async () => {
    // Prepare
    const rows = ['x,colour,y'];
    for (let i = 1; i <= 20; i++)
      rows.push(`${i},${i % 4 === 0 ? '' : i % 2 === 0 ? 'red' : 'blue'},${i > 15 ? 'b' : 'a'}`);

    // Act
    const result = await validateDataset({
      open: bytesDataset(`${rows.join('\n')}\n`),
      openSink: () => new MemorySink(),
      targetColumn: 'y',
      options: { bins: 4 },
    });

    // Assess
    expect(result.status).toBe('accepted');
    if (result.status !== 'accepted') return;
    const [x, colour] = result.statistics.features;
    expect(x).toMatchObject({ name: 'x', type: 'numeric', count: 20, nulls: 0, min: 1, max: 20, mean: 10.5 });
    expect(x?.type === 'numeric' && x.std).toBeCloseTo(Math.sqrt(33.25), 12);
    expect(x?.type === 'numeric' && x.binCounts.reduce((a, b) => a + b, 0)).toBe(20);
    expect(colour).toEqual({
      name: 'colour',
      type: 'categorical',
      count: 15,
      nulls: 5,
      frequencies: [
        { value: 'blue', count: 10 },
        { value: 'red', count: 5 },
      ],
    });
    expect(result.statistics.label).toEqual({
      name: 'y',
      problemType: 'binary',
      classes: [
        { value: 'a', code: 0, count: 15 },
        { value: 'b', code: 1, count: 5 },
      ],
    });
  });
});

describe('baseline v2 reference samples', () => {
  /** A CSV of `rows` rows: x = a shuffled permutation of 1..rows (one null every 7th row), binary label. */
  function dataset(rows: number): { csv: string; values: number[] } {
    const random = new SeededRandom(3);
    const xs = Array.from({ length: rows }, (_, i) => i + 1);
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [xs[i], xs[j]] = [xs[j] as number, xs[i] as number];
    }
    const lines = ['x,y'];
    const values: number[] = [];
    xs.forEach((x, i) => {
      const isNull = i % 7 === 3;
      if (!isNull) values.push(x);
      lines.push(`${isNull ? '' : x},${i % 2}`);
    });
    return { csv: `${lines.join('\n')}\n`, values };
  }

  async function statistics(csv: string, options = {}) {
    const result = await validateDataset({
      open: bytesDataset(csv),
      openSink: () => new MemorySink(),
      targetColumn: 'y',
      options,
    });
    if (result.status !== 'accepted') throw new Error(result.status);
    return result.statistics;
  }

  it('is formatVersion 2 and holds every non-null value, sorted, when the data fits the sample', async () => {
    // Prepare
    const { csv, values } = dataset(3000);

    // Act
    const baseline = await statistics(csv);

    // Assess
    expect(baseline.formatVersion).toBe(2);
    expect(baseline.sampleSize).toBe(10_000);
    const [x] = baseline.features;
    expect(x?.type === 'numeric' && x.reference).toEqual([...values].sort((a, b) => a - b));
  });

  it('is a seeded sample of sampleSize rows (without their nulls) beyond that, the same for the same seed', async () => {
    // Prepare
    const { csv, values } = dataset(5000);
    const present = new Set(values);

    // Act
    const first = await statistics(csv, { sampleSize: 1000 });
    const second = await statistics(csv, { sampleSize: 1000 });
    const other = await statistics(csv, { sampleSize: 1000, seed: 7 });

    // Assess
    const reference = (s: typeof first) => {
      const [x] = s.features;
      return x?.type === 'numeric' ? x.reference : [];
    };
    const sample = reference(first);
    expect(sample.length).toBeGreaterThan(800);
    expect(sample.length).toBeLessThanOrEqual(1000);
    expect(new Set(sample).size).toBe(sample.length);
    for (const x of sample) expect(present.has(x)).toBe(true);
    expect([...sample].sort((a, b) => a - b)).toEqual(sample);
    expect(reference(second)).toEqual(sample);
    expect(reference(other)).not.toEqual(sample);
  });
});
