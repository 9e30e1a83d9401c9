/** Seeded row and feature sampling (subsample, colsample_by*). Pure given the generator. */

/**
 * A seeded uniform [0, 1) generator (mulberry32). Hand-written rather than a dependency: its exact sequence
 * is part of the "same seed, same model" contract, so it must not change with a package upgrade.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Rows kept for one tree, written ascending to `out`; returns how many. Each row is kept with probability
 * `fraction`, as XGBoost's uniform sampling does (so the count varies around fraction x rows).
 */
export function sampleRows(rows: number, fraction: number, random: () => number, out: Uint32Array): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (fraction >= 1 || random() < fraction) out[count++] = r;
  }
  return count;
}

/** max(1, floor(fraction x n)) of `features`, drawn without replacement, ascending (XGBoost's count). */
export function sampleFeatures(features: Int32Array, fraction: number, random: () => number): Int32Array {
  if (fraction >= 1) return features;
  const keep = Math.max(1, Math.floor(fraction * features.length));
  const pool = features.slice();
  for (let i = 0; i < keep; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    const swap = pool[i] as number;
    pool[i] = pool[j] as number;
    pool[j] = swap;
  }
  return pool.subarray(0, keep).sort();
}
