/**
 * Numbers written as the built-in XGBoost container writes them: its predictions are float32 values turned
 * into Python floats (`preds.tolist()`), printed with Python's `repr` (shortest round-trip digits, fixed
 * notation for exponents -4..15, `e-05` style otherwise, `1.0` for integral values), by `np.savetxt(fmt='%s')`
 * for text/csv and `json.dumps` for application/json.
 */

/** Python's `repr(float(x))`. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without digits gives the shortest digits that round-trip, as repr does.
  const [mantissa = '', exponentText = '0'] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
  }
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const abs = Math.abs(exponent);
  return `${sign}${head}e${exponent < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
}

/** A float32 prediction as the container prints it: the float32 value, widened, in Python's repr. */
export function float32(x: number): string {
  return pythonFloat(Math.fround(x));
}
