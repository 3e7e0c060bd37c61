/**
 * Number formatting as Go prints a float64 with `%v`/`%g` (shortest
 * round-trip digits), so that exported rules carry the same literals as
 * Sloth's.
 */

/**
 * Formats `value` as Go's `strconv.FormatFloat(value, 'g', -1, 64)` (and
 * `fmt`'s `%v`) does: the shortest digits that round-trip, in exponent form
 * when the decimal exponent is below -4 or at least 6 (`1e-05`, `1.5e+06`:
 * signed, at least two exponent digits), where JavaScript's `String` would
 * write `0.00001` and `1500000`. Pure.
 */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '', expText = '0'] = value.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    const digits = String(Math.abs(exp)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return String(value);
}

/**
 * Formats `value` as Go's `strconv.FormatFloat(value, 'f', -1, 64)`: the
 * shortest round-trip digits, never in exponent form (Sloth's
 * `sloth_objective` label). Pure.
 */
export function formatGoFixed(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  const [mantissa = '', expText = '0'] = value.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else
    out =
      digits.length > exp + 1
        ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`
        : digits + '0'.repeat(exp + 1 - digits.length);
  return negative ? `-${out}` : out;
}
