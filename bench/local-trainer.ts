/**
 * Training speed of the local XGBoost stand-in: `npx tsx bench/local-trainer.ts [--rows N] [--features N]`.
 * Rows/s for 100 rounds of depth-6 trees on a synthetic binary problem (default 100k x 20).
 */
import { parseArgs } from 'node:util';
import { fitModel, predict, seededRandom } from '../local/trainers/xgboost/gbdt';
import { auc } from '../local/trainers/xgboost/metrics';

/** A synthetic binary problem: the label depends non-linearly on the first few features, plus noise. */
function syntheticBinary(rows: number, features: number, seed: number) {
  const random = seededRandom(seed);
  const values = new Float64Array(rows * features);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) values[r * features + f] = random() * 2 - 1;
    const x = (f: number) => values[r * features + (f % features)] as number;
    const score = x(0) * x(1) * 3 + Math.sin(3 * x(2)) + x(3) - 0.5 * x(4) ** 2 + (random() - 0.5);
    labels[r] = score > 0 ? 1 : 0;
  }
  return { features: { rows, columns: features, layout: 'row-major' as const, values }, labels };
}

function main(): void {
  // bench/index.ts passes every script the same arguments; ignore the ones meant for others.
  const { values } = parseArgs({
    options: { rows: { type: 'string' }, features: { type: 'string' } },
    strict: false,
  });
  const rows = Number(values.rows ?? 100_000);
  const features = Number(values.features ?? 20);
  const train = syntheticBinary(rows, features, 1);
  const test = syntheticBinary(20_000, features, 2);
  const started = performance.now();
  const model = fitModel(train.features, train.labels, {
    objective: 'binary:logistic',
    numRound: 100,
    maxDepth: 6,
  });
  const seconds = (performance.now() - started) / 1000;
  const heldOut = auc(test.labels, predict(model, test.features));
  console.log(
    `gbdt: ${rows} rows x ${features} features, 100 rounds, depth 6: ${seconds.toFixed(2)} s, ` +
      `${Math.round(rows / seconds)} rows/s (${Math.round((rows * 100) / seconds)} row-rounds/s), held-out AUC ${heldOut.toFixed(4)}`,
  );
  const figure = {
    bench: 'local-trainer',
    rows,
    features,
    rounds: 100,
    seconds: Number(seconds.toFixed(2)),
    heldOutAuc: Number(heldOut.toFixed(4)),
  };
  console.log(`BENCH ${JSON.stringify(figure)}`);
}

main();
