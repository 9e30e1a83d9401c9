/**
 * The reference distributions behind the drift tests' p-values, and the corrections for testing many
 * features at once.
 */

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
 * the regularized upper incomplete gamma function. 1 for x ≤ 0; NaN without degrees of freedom.
 */
export function chiSquareSurvival(x: number, dof: number): number {
  if (!(dof > 0)) return Number.NaN;
  if (x <= 0) return 1;
  return regularizedUpperGamma(dof / 2, x / 2);
}

/**
 * Q(a, x) = Γ(a, x)/Γ(a), by the series of P(a, x) below x < a + 1 and Lentz's continued fraction of Q above
 * (Press et al., Numerical Recipes, 3rd ed., §6.2, gser/gcf), each where it converges fast; ~1e-15 relative.
 * Written here because the maintained implementations (stdlib's gammainc, a Boost port) install ~200 packages
 * for this one function.
 */
export function regularizedUpperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // P(a, x) = e^{-x} x^a / Γ(a+1) · Σ x^n / ((a+1)…(a+n))
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 100_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return Math.min(1, Math.max(0, 1 - sum * Math.exp(logPrefix)));
  }
  // Q(a, x) = e^{-x} x^a / Γ(a) · 1/(x+1-a- 1·(1-a)/(x+3-a- 2·(2-a)/(x+5-a- …))), modified Lentz.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.min(1, Math.max(0, Math.exp(logPrefix) * h));
}

/** Lanczos coefficients for g = 7, n = 9 (Godfrey), ~15 significant digits over the positive reals. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 (Lanczos approximation; reflection below 0.5). */
export function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
  const x = z - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
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
