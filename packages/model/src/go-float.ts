/**
 * Numbers printed as Go prints a float64, which is what Prometheus, its
 * client libraries and Sloth write: label values (`le`, `quantile`,
 * `count_values`), error messages, template output and rule literals all
 * depend on the exact digits. JavaScript's `String` uses the same shortest
 * round-trip digits but switches to exponent form at other thresholds.
 *
 * @module
 */

function nonFinite(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

/**
 * Go's `strconv.FormatFloat(v, 'g', -1, 64)` (and `fmt`'s `%v`/`%g`): the
 * shortest digits that read back as `v`, in exponent form when the decimal
 * exponent is below -4 or at least 6, with a sign and at least two exponent
 * digits (`1e-05`, `1.5e+06`); `NaN`, `+Inf`, `-Inf`, `-0`. Pure.
 */
export function formatGoG(v: number): string {
  const special = nonFinite(v);
  if (special !== undefined) return special;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa = '', expText = '0'] = v.toExponential().split('e');
  const exp = Number(expText);
  // Between those thresholds JavaScript also writes positional digits.
  if (exp >= -4 && exp < 6) return String(v);
  const abs = Math.abs(exp);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

/**
 * Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest decimal that
 * reads back as `v`, never in exponent form (`1e21` prints every digit);
 * `NaN`, `+Inf`, `-Inf`, `-0`. Pure.
 */
export function formatGoShortest(v: number): string {
  const special = nonFinite(v);
  if (special !== undefined) return special;
  if (Object.is(v, -0)) return '-0';
  const text = String(v);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const point = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const intLength = (point < 0 ? digits.length : point) + exponent;
  let out: string;
  if (intLength <= 0) out = '0.' + '0'.repeat(-intLength) + digits;
  else if (intLength >= digits.length) out = digits + '0'.repeat(intLength - digits.length);
  else out = digits.slice(0, intLength) + '.' + digits.slice(intLength);
  return negative ? '-' + out : out;
}

/**
 * Go's `fmt.Sprintf("%.<digits>f", v)` (`%f` is six digits): fixed decimals;
 * `NaN`, `+Inf`, `-Inf`. Pure.
 */
export function formatGoF(v: number, digits = 6): string {
  return nonFinite(v) ?? v.toFixed(digits);
}
