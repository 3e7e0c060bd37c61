/**
 * Numeric helpers shared by the function implementations: Kahan–Neumaier
 * summation and Go-compatible number parsing and formatting (annotation and
 * error texts must read exactly as Prometheus prints them). Pure functions;
 * safe to call from concurrent queries.
 */

/**
 * One step of Kahan–Neumaier compensated summation, as Prometheus's
 * `kahansum.Inc`: adds `inc` to `sum`, carrying the rounding error in `c`.
 * The caller adds `c` to the sum at the end. An infinite sum resets the
 * compensation to 0 (so `Inf + c` stays `Inf` instead of becoming NaN).
 * Returns `[newSum, newC]`.
 */
export function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) return [t, 0];
  if (Math.abs(sum) >= Math.abs(inc)) return [t, c + (sum - t + inc)];
  return [t, c + (inc - t + sum)];
}

/**
 * A running Kahan–Neumaier sum with the same arithmetic as
 * {@link kahanInc}, without allocating per added value (for hot loops).
 * `value()` is the compensated total. Not shared between queries.
 */
export class KahanSum {
  /** The running (uncompensated) sum. */
  sum = 0;
  /** The running compensation. */
  c = 0;

  /** Adds `inc`. */
  add(inc: number): void {
    const sum = this.sum;
    const t = sum + inc;
    if (t === Infinity || t === -Infinity) this.c = 0;
    else if (Math.abs(sum) >= Math.abs(inc)) this.c += sum - t + inc;
    else this.c += inc - t + sum;
    this.sum = t;
  }

  /** The compensated sum (`sum + c`). */
  value(): number {
    return this.sum + this.c;
  }
}

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/;
const SPECIAL_FLOAT = /^(?:([+-]?)(inf|infinity)|(nan))$/i;

/**
 * Parses a number the way Go's `strconv.ParseFloat(s, 64)` does (the `le`
 * label of classic histogram buckets): decimal and hexadecimal (`0x1p-2`)
 * notation, `Inf`/`+Inf`/`-Inf`/`Infinity`/`NaN` in any case. Returns
 * `undefined` where Go returns an error: empty or malformed text, surrounding
 * space, underscores, and finite notation that overflows to ±Inf.
 */
export function parseGoFloat(text: string): number | undefined {
  if (DECIMAL_FLOAT.test(text)) {
    const v = Number(text);
    return Number.isFinite(v) ? v : undefined;
  }
  const special = SPECIAL_FLOAT.exec(text);
  if (special !== null) {
    if (special[3] !== undefined) return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  const hex = HEX_FLOAT.exec(text);
  if (hex !== null) {
    const intPart = hex[2]!;
    const fracPart = hex[3]!;
    if (intPart === '' && fracPart === '') return undefined;
    let mantissa = 0;
    for (const d of intPart + fracPart) mantissa = mantissa * 16 + parseInt(d, 16);
    const exp = Number(hex[4]) - 4 * fracPart.length;
    const v = mantissa * Math.pow(2, exp);
    if (!Number.isFinite(v)) return undefined;
    return hex[1] === '-' ? -v : v;
  }
  return undefined;
}
