/**
 * JSON string literals for values written on every request (log fields,
 * correlation fragments), where `JSON.stringify` of a short string costs
 * more than the rest of the work.
 *
 * @internal
 */

/**
 * `JSON.stringify(text)`, and `null` for undefined: one scan finds the usual
 * string that needs no escaping; any other goes through `JSON.stringify`.
 */
export function jsonString(text: string | undefined): string {
  if (text === undefined) return 'null';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Quote, backslash, control characters and surrogates (a lone one is escaped).
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      return JSON.stringify(text);
    }
  }
  return '"' + text + '"';
}
