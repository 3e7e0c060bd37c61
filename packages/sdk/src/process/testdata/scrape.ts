/** Small readers of text-format scrapes, for the process tests. */

/** The `# TYPE` of `name` in a text-format scrape, or undefined. */
export function typeOf(text: string, name: string): string | undefined {
  const prefix = `# TYPE ${name} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line?.slice(prefix.length).trim();
}

/**
 * The value of the sample `name` whose labels include every pair of
 * `labels` (the first match), or undefined.
 */
export function valueOf(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const series = line.slice(0, space);
    const brace = series.indexOf('{');
    const sampleName = brace < 0 ? series : series.slice(0, brace);
    if (sampleName !== name) continue;
    const labelText = brace < 0 ? '' : series.slice(brace + 1, -1);
    const pairs = labelText === '' ? [] : labelText.split(/,(?=[a-zA-Z_][a-zA-Z0-9_]*=")/);
    if (wanted.every((w) => pairs.includes(w))) return Number(line.slice(space + 1));
  }
  return undefined;
}

/** Label sets (as text) of every sample named `name`. */
export function labelSetsOf(text: string, name: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(name + '{')) out.push(line.slice(name.length + 1, line.lastIndexOf('}')));
  }
  return out;
}

/** Keeps the CPU busy for `ms` milliseconds without yielding. */
export function busyBlock(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}
