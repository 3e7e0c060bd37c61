/** A set of label names and values, for example `{ method: "GET", route: "/users/:id" }`. */
export type Labels = Readonly<Record<string, string>>;

/**
 * Label values as instrumentation code passes them: strings, or numbers and
 * booleans that are converted with `String()` (so `status: 200` becomes `"200"`).
 */
export type LabelValue = string | number | boolean;

/** Labels keyed by a fixed set of declared names. */
export type LabelValues<Name extends string> = { readonly [K in Name]: LabelValue };
