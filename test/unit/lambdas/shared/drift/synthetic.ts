/**
 * Synthetic windows for the drift tests and bench/drift-power.ts: standard normal features, a baseline
 * built by the training validator from a reference CSV (as training builds it), and current windows with a
 * mean shift of some features, all from fixed seeds.
 */

import type { BaselineStatistics } from '../../../../../lambdas/shared/drift/baseline-statistics';
import { SeededRandom } from '../../../../../lambdas/shared/random';
import { bytesDataset } from '../../../../../lambdas/validate-dataset';
import { baselineFromRows } from '../../../../../lambdas/validate-dataset/drift-baseline';

/** Standard normal deviates (Box–Muller, the cosine half). */
export class Normals {
  private readonly random: SeededRandom;

  constructor(seed: number, stream = 0) {
    this.random = new SeededRandom(seed, stream);
  }

  next(): number {
    const u = this.random.nextOpen();
    const v = this.random.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** Feature names f0..f(n−1). */
export function featureNames(features: number): string[] {
  return Array.from({ length: features }, (_, i) => `f${i}`);
}

/** A baseline of `rows` rows of `features` standard normal features (and a binary label), via the validator. */
export async function normalBaseline(
  features: number,
  rows: number,
  seed: number,
): Promise<BaselineStatistics> {
  const normals = new Normals(seed, 1);
  const lines = [[...featureNames(features), 'label'].join(',')];
  for (let r = 0; r < rows; r++) {
    const values: string[] = [];
    for (let f = 0; f < features; f++) values.push(String(normals.next()));
    values.push(String(r % 2));
    lines.push(values.join(','));
  }
  const { statistics } = await baselineFromRows({
    open: bytesDataset(`${lines.join('\n')}\n`),
    targetColumn: 'label',
    problemType: 'binary',
  });
  return statistics;
}

/**
 * Feeds `rows` rows of standard normal features to `add`, features in `shifted` moved by `shift`
 * (in units of σ = 1).
 */
export function normalRows(
  features: number,
  rows: number,
  seed: number,
  add: (row: readonly number[]) => void,
  shift = 0,
  shifted: ReadonlySet<number> = new Set([0]),
): void {
  const normals = new Normals(seed, 2);
  const row = new Array<number>(features).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) row[f] = normals.next() + (shifted.has(f) ? shift : 0);
    add(row);
  }
}
