import { describe, expect, it } from 'vitest';
import { quantileCuts } from '../../../../../local/trainers/xgboost/binning';
import {
  type FeatureMatrix,
  fitModel,
  type GbdtModel,
  type GbdtTree,
  loadModel,
  predict,
  predictMargins,
  resolveParams,
} from '../../../../../local/trainers/xgboost/gbdt';
import { auc, merror, rmse } from '../../../../../local/trainers/xgboost/metrics';
import { binaryLabel, dataset, regressionLabel, standardDeviation, threeClassLabel } from './synthetic';

const binaryTrain = dataset(3000, 6, 1, binaryLabel);
const binaryTest = dataset(2000, 6, 2, binaryLabel);
const binaryParams = { objective: 'binary:logistic', numRound: 30, maxDepth: 4 } as const;

/** Depth of the deepest leaf. */
function depth(tree: GbdtTree, node = 0): number {
  const left = tree.left[node] as number;
  if (left === -1) return 0;
  return 1 + Math.max(depth(tree, left), depth(tree, tree.right[node] as number));
}

describe('fitModel', () => {
  it('learns a separable binary problem (held-out AUC > 0.95)', () => {
    // Act
    const model = fitModel(binaryTrain.features, binaryTrain.labels, binaryParams);
    const probabilities = predict(model, binaryTest.features);

    // Assess
    expect(auc(binaryTest.labels, probabilities)).toBeGreaterThan(0.95);
    expect(model.trees).toHaveLength(30);
    expect(probabilities.every((p) => p > 0 && p < 1)).toBe(true);
  });

  it('learns a 3-class problem with one tree per class per round (small merror)', () => {
    // Prepare
    const train = dataset(3000, 4, 3, threeClassLabel);
    const test = dataset(1500, 4, 4, threeClassLabel);

    // Act
    const model = fitModel(train.features, train.labels, {
      objective: 'multi:softprob',
      numClass: 3,
      numRound: 25,
      maxDepth: 5,
    });
    const probabilities = predict(model, test.features);

    // Assess
    expect(model.trees).toHaveLength(75);
    expect(model.trees.slice(0, 3).map((tree) => tree.group)).toEqual([0, 1, 2]);
    expect(probabilities).toHaveLength(1500 * 3);
    expect(
      (probabilities[0] as number) + (probabilities[1] as number) + (probabilities[2] as number),
    ).toBeCloseTo(1, 12);
    expect(merror(test.labels, probabilities, 3)).toBeLessThan(0.08);
  });

  it('predicts class indexes for multi:softmax', () => {
    // Prepare
    const train = dataset(600, 4, 5, threeClassLabel);

    // Act
    const model = fitModel(train.features, train.labels, {
      objective: 'multi:softmax',
      numClass: 3,
      numRound: 10,
    });
    const classes = predict(model, train.features);

    // Assess
    expect(classes).toHaveLength(600);
    expect(classes.every((k) => k === 0 || k === 1 || k === 2)).toBe(true);
    expect(classes.filter((k, r) => k === train.labels[r]).length / 600).toBeGreaterThan(0.9);
  });

  it('learns a regression (rmse well below the label spread)', () => {
    // Prepare
    const train = dataset(3000, 5, 6, regressionLabel);
    const test = dataset(1500, 5, 7, regressionLabel);

    // Act
    const model = fitModel(train.features, train.labels, { numRound: 60, maxDepth: 4, eta: 0.2 });
    const predictions = predict(model, test.features);

    // Assess
    expect(rmse(test.labels, predictions)).toBeLessThan(0.2 * standardDeviation(test.labels));
  });

  it('separates classes by missingness: a feature missing for one class still splits', () => {
    // Prepare: feature 0 is missing for every negative and uniform noise for positives; the rest is noise
    const make = (rows: number, seed: number) => {
      const data = dataset(rows, 3, seed, (_row, random) => (random() < 0.4 ? 1 : 0));
      data.labels.forEach((label, r) => {
        if (label === 0) data.features.values[r * 3] = Number.NaN;
      });
      return data;
    };
    const train = make(2000, 8);
    const test = make(1000, 9);

    // Act
    const model = fitModel(train.features, train.labels, { ...binaryParams, numRound: 5 });
    const first = model.trees[0] as GbdtTree;
    const probabilities = predict(model, test.features);

    // Assess: the root splits missing (left) from present (right), and the split carries over to new rows
    expect(first.feature[0]).toBe(0);
    expect(first.defaultLeft[0]).toBe(true);
    expect(auc(test.labels, probabilities)).toBe(1);
    expect(predict(model, [[Number.NaN, 0, 0]])[0]).toBeLessThan(0.2);
    expect(predict(model, [[0.3, 0, 0]])[0]).toBeGreaterThan(0.8);
  });

  it('sends missing values the way that gains most when both sides have values', () => {
    // Prepare: positives have high feature 0; a third of the positives lose it
    const train = dataset(2000, 2, 10, (row) => ((row[0] as number) > 0 ? 1 : 0));
    train.labels.forEach((label, r) => {
      if (label === 1 && r % 3 === 0) train.features.values[r * 2] = Number.NaN;
    });

    // Act
    const model = fitModel(train.features, train.labels, { ...binaryParams, numRound: 3 });

    // Assess: missing rows are positives, which sit right of the split
    expect(model.trees[0]?.feature[0]).toBe(0);
    expect(model.trees[0]?.defaultLeft[0]).toBe(false);
    expect(predict(model, [[Number.NaN, 0]])[0]).toBeGreaterThan(0.5);
  });

  it('is deterministic: same data, parameters and seed give the same model and predictions', () => {
    // Act
    const params = { ...binaryParams, subsample: 0.7, colsampleBytree: 0.5, seed: 3 };
    const first = fitModel(binaryTrain.features, binaryTrain.labels, params);
    const second = fitModel(binaryTrain.features, binaryTrain.labels, params);

    // Assess
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(predict(second, binaryTest.features)).toEqual(predict(first, binaryTest.features));
  });

  it('changes with subsample and colsample_by*, deterministically per seed', () => {
    // Prepare
    const run = (params: object) =>
      predict(
        fitModel(binaryTrain.features, binaryTrain.labels, { ...binaryParams, numRound: 10, ...params }),
        binaryTest.features,
      );
    const baseline = run({});

    // Act
    const variants = [
      { subsample: 0.6, seed: 1 },
      { subsample: 0.6, seed: 2 },
      { colsampleBytree: 0.5, seed: 1 },
      { colsampleBylevel: 0.5, seed: 1 },
      { colsampleBynode: 0.5, seed: 1 },
    ].map((params) => ({ first: run(params), again: run(params) }));

    // Assess
    for (const { first, again } of variants) {
      expect(again).toEqual(first);
      expect(first).not.toEqual(baseline);
      expect(auc(binaryTest.labels, first)).toBeGreaterThan(0.9);
    }
    expect(variants[1]?.first).not.toEqual(variants[0]?.first);
  });

  it('reports evaluation predictions each round that match predict on the final model', () => {
    // Prepare
    const reports: { round: number; train: Float64Array; watch: Float64Array }[] = [];

    // Act: subsample exercises the tree walk over binned rows, full rows the leaf ranges
    const models = [1, 0.5].map((subsample) =>
      fitModel(
        binaryTrain.features,
        binaryTrain.labels,
        { ...binaryParams, numRound: 5, subsample },
        {
          watches: [{ features: binaryTest.features }],
          onRound: ({ round, train, watches }) => {
            reports.push({ round, train, watch: watches[0] as Float64Array });
            return undefined;
          },
        },
      ),
    );

    // Assess
    expect(reports.map((report) => report.round)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    models.forEach((model, i) => {
      const last = reports[5 * i + 4];
      expect(predict(model, binaryTrain.features)).toEqual(last?.train);
      expect(predict(model, binaryTest.features)).toEqual(last?.watch);
    });
  });

  it('stops when onRound returns true, keeping the rounds trained so far', () => {
    // Act
    const model = fitModel(binaryTrain.features, binaryTrain.labels, binaryParams, {
      onRound: ({ round }) => round === 6,
    });

    // Assess
    expect(model.numRound).toBe(7);
    expect(model.trees).toHaveLength(7);
  });

  it('honours max_depth, and gamma prunes splits that gain too little', () => {
    // Act
    const shallow = fitModel(binaryTrain.features, binaryTrain.labels, {
      ...binaryParams,
      numRound: 5,
      maxDepth: 2,
    });
    const pruned = fitModel(binaryTrain.features, binaryTrain.labels, {
      ...binaryParams,
      numRound: 5,
      gamma: 1e6,
    });
    const unlimited = fitModel(binaryTrain.features, binaryTrain.labels, {
      ...binaryParams,
      numRound: 1,
      maxDepth: 0,
    });

    // Assess
    expect(Math.max(...shallow.trees.map((tree) => depth(tree)))).toBe(2);
    expect(pruned.trees.every((tree) => tree.left.length === 1)).toBe(true);
    expect(depth(unlimited.trees[0] as GbdtTree)).toBeGreaterThan(6);
  });

  it('gives the same model for row arrays, row-major and column-major matrices', () => {
    // Prepare
    const { rows, columns, values } = binaryTrain.features;
    const rowArrays = Array.from({ length: rows }, (_, r) => values.subarray(r * columns, (r + 1) * columns));
    const columnMajor: FeatureMatrix = {
      rows,
      columns,
      layout: 'column-major',
      values: Float64Array.from(
        { length: rows * columns },
        (_, i) => values[(i % rows) * columns + Math.floor(i / rows)] as number,
      ),
    };

    // Act
    const models = [binaryTrain.features, rowArrays, columnMajor].map((features) =>
      JSON.stringify(fitModel(features, binaryTrain.labels, { ...binaryParams, numRound: 3 })),
    );

    // Assess
    expect(models[1]).toBe(models[0]);
    expect(models[2]).toBe(models[0]);
  });

  it('rejects labels the objective cannot learn and rows of the wrong width', () => {
    // Act & Assess
    expect(() => fitModel([[1], [2]], [0, 2], { objective: 'binary:logistic' })).toThrow(
      /row 1 is 2.*\[0, 1\]/,
    );
    expect(() => fitModel([[1], [2]], [0, 3], { objective: 'multi:softprob', numClass: 3 })).toThrow(
      /integer labels in \[0, 3\)/,
    );
    expect(() => fitModel([[1], [2]], [0], {})).toThrow(/1 labels for 2 rows/);
    const model = fitModel([[1], [2]], [0, 1], { numRound: 1 });
    expect(() => predict(model, [[1, 2]])).toThrow(/2 features, expected 1/);
  });
});

describe('resolveParams', () => {
  it("fills in XGBoost's defaults", () => {
    // Act
    const params = resolveParams({ objective: 'binary:logistic' });

    // Assess
    expect(params).toMatchObject({
      numRound: 10,
      maxDepth: 6,
      eta: 0.3,
      lambda: 1,
      baseScore: 0.5,
      maxBin: 256,
      numClass: 1,
    });
  });

  it('names the parameter that is out of range', () => {
    // Act & Assess
    expect(() => resolveParams({ eta: 2 })).toThrow('invalid eta: 2');
    expect(() => resolveParams({ objective: 'multi:softprob' })).toThrow('invalid numClass: 1');
    expect(() => resolveParams({ objective: 'binary:logistic', baseScore: 1 })).toThrow(
      'invalid baseScore: 1',
    );
    expect(() => resolveParams({ subsample: Number.NaN })).toThrow('invalid subsample: NaN');
  });
});

describe('quantileCuts', () => {
  it('gives each distinct value its own bin when there are few', () => {
    // Act
    const cuts = quantileCuts(Float64Array.from([1, 1, 2, 3, 3, 3]), 256);

    // Assess
    expect(Array.from(cuts)).toEqual([2, 3]);
  });

  it('cuts at evenly spaced ranks when there are many', () => {
    // Act
    const cuts = quantileCuts(
      Float64Array.from({ length: 1000 }, (_, i) => i),
      4,
    );

    // Assess
    expect(Array.from(cuts)).toEqual([250, 500, 750]);
  });

  it('gives one bin to a value covering many ranks and spreads the others over the rest', () => {
    // Prepare: 99.9% zeros, then 100 distinct values
    const sorted = Float64Array.from({ length: 100_000 }, (_, i) => (i < 99_900 ? 0 : i));

    // Act
    const cuts = Array.from(quantileCuts(sorted, 16));
    const small = quantileCuts(Float64Array.from([0, 0, 0, 0, 0, 0, 0, 1, 2, 3]), 3);

    // Assess: the first cut ends the zeros; 15 bins share the other 100 values, about 7 each
    expect(cuts).toHaveLength(15);
    expect(cuts[0]).toBe(99_900);
    expect(
      cuts.slice(1).every((cut, i) => cut - (cuts[i] as number) >= 6 && cut - (cuts[i] as number) <= 8),
    ).toBe(true);
    expect(Array.from(small)).toEqual([1, 3]);
  });
});

describe('loadModel', () => {
  const model = fitModel(
    binaryTrain.features,
    binaryTrain.labels,
    { ...binaryParams, numRound: 5 },
    { metadata: { run: 'r1' } },
  );

  it('reads a saved model back to identical predictions', () => {
    // Act
    const loaded = loadModel(JSON.stringify(model));

    // Assess
    expect(loaded.metadata).toEqual({ run: 'r1' });
    expect(predictMargins(loaded, binaryTest.features)).toEqual(predictMargins(model, binaryTest.features));
  });

  it('refuses a model whose trees are not well formed', () => {
    // Prepare
    const tree = model.trees[0] as GbdtTree;
    const broken: GbdtModel = { ...model, trees: [{ ...tree, left: [0, ...tree.left.slice(1)] }] };
    const wrongFeature: GbdtModel = { ...model, numFeature: 1 };

    // Act & Assess
    expect(() => loadModel(JSON.stringify(broken))).toThrow(/tree 0 node 0 has invalid children/);
    expect(() => loadModel(wrongFeature)).toThrow(/splits on feature \d of 1/);
    expect(() => loadModel('{"format":"other"}')).toThrow(/not a serverless-mlops\/gbdt model/);
  });
});
