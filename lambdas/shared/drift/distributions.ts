/**
 * The reference distributions behind the drift tests' p-values, and the corrections for testing many
 * features at once.
 */
import gammainc from '@stdlib/math-base-special-gammainc';

/**
 * Survival function of Kolmogorov's limiting distribution, Q(λ) = P(K > λ): the asymptotic p-value of a
 * KS statistic D at sample size n for λ = √n·D (for two samples, n = n₁n₂/(n₁+n₂), as R's `psmirnov(exact =
 * FALSE)` does). Same function as scipy.special.kolmogorov / scipy.stats.kstwobign.sf.
 *
 * Two series for the same function (Kolmogorov 1933; the second by the Jacobi theta transformation, see
 * Marsaglia, Tsang & Wang 2003, "Evaluating Kolmogorov's distribution", J. Stat. Softw. 8(18)):
 * - Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}, fast for λ ≥ 1;
 * - 1 − Q(λ) = (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}, fast for small λ where the first cancels badly.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (Number.isNaN(lambda)) return Number.NaN;
  if (lambda <= 0) return 1;
  if (lambda < 1) {
    const factor = -(Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let k = 1; k <= 20; k++) {
      const term = Math.exp((2 * k - 1) ** 2 * factor);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17 * Math.abs(sum) || term === 0) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * Survival function of the chi-square distribution with `dof` degrees of freedom: P(X > x) = Q(dof/2, x/2),
 * the regularized upper incomplete gamma function (stdlib's `gammainc(x, s, regularized, upper)`, a port of
 * Boost's). 1 for x ≤ 0; NaN without degrees of freedom.
 */
export function chiSquareSurvival(x: number, dof: number): number {
  if (!(dof > 0)) return Number.NaN;
  if (x <= 0) return 1;
  return gammainc(x / 2, dof / 2, true, true);
}

/** How p-values of the features tested in one window are corrected for their number. */
export type Correction = 'benjamini-hochberg' | 'bonferroni';

/**
 * Adjusted p-values (same order as given; NaN stays NaN and is not counted):
 * - Bonferroni: min(1, m·p), controls the family-wise error rate;
 * - Benjamini–Hochberg step-up: p̃₍ᵢ₎ = min_{j≥i} min(1, m·p₍ⱼ₎/j) over the sorted p-values, controls the
 *   false discovery rate (Benjamini & Hochberg 1995), and the family-wise rate when no feature drifted.
 *   Same values as R's `p.adjust(p, "BH")`.
 */
export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  const indices = pValues.map((_, i) => i).filter((i) => !Number.isNaN(pValues[i] as number));
  const m = indices.length;
  const adjusted = pValues.map(() => Number.NaN);
  if (correction === 'bonferroni') {
    for (const i of indices) adjusted[i] = Math.min(1, (pValues[i] as number) * m);
    return adjusted;
  }
  indices.sort((a, b) => (pValues[a] as number) - (pValues[b] as number));
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const i = indices[rank - 1] as number;
    running = Math.min(running, ((pValues[i] as number) * m) / rank);
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}
