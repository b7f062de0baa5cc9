/**
 * Standard normal CDF by Abramowitz–Stegun 7.1.26 on erf (absolute error < 1.5e-7): written out here
 * so tests check the product's p-values against a computation that shares none of its code.
 */
export function cumulativeProbability(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
