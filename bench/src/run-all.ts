/**
 * Runs every benchmark (`*.bench.js` beside this file) in its own process,
 * then writes their comparisons, with the Node version and CPU, to
 * docs/benchmarks.md. `npm run bench` builds first and calls this.
 * Arguments select benchmarks by substring: `node bench/dist/run-all.js metrics`.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, type Comparison } from './harness.js';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..', '..');
const filters = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

// Only results this invocation wrote count as run: bench/results also holds
// files of earlier (possibly quick or partial) runs, whose figures must not
// replace the rows of the previous file.
const startedMs = Date.now();
let failed = false;
for (const file of benches) {
  console.log(`\n### ${file}`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(here, file)], {
    stdio: 'inherit',
    cwd: root,
  });
  if (result.status !== 0) {
    console.error(`${file} exited with ${result.status}`);
    failed = true;
  }
}

const resultsDir = join(here, '..', 'results');
const writtenNow = (f: string): boolean => statSync(join(resultsDir, f)).mtimeMs >= startedMs;
const all: Comparison[] = existsSync(resultsDir)
  ? readdirSync(resultsDir)
      .filter((f) => f.endsWith('.json') && writtenNow(f))
      .sort()
      .flatMap((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as Comparison[])
  : [];

// Suites not run this time (a filtered run, or a suite whose peer is
// missing) keep their rows from the previous file, so that
// `run-all promql` does not erase the figures of the other suites.
const docPath = join(root, 'docs', 'benchmarks.md');
const ranSuites = new Set(all.map((r) => r.suite));
const previous = existsSync(docPath) ? readFileSync(docPath, 'utf8').split('\n') : [];
// When each suite's rows were measured. A filtered run re-dates only the
// suites it ran; the others keep the date of their own run, read from the
// previous file's "Run dates" line (or, in the older layout, from its
// "Date" line for the suites that run measured and its "Rows of … (dated …)"
// line for the ones it kept).
const runDates = new Map<string, string>();
const datesLine = previous.find((l) => l.startsWith('- Run dates: '));
if (datesLine !== undefined) {
  for (const part of datesLine.slice('- Run dates: '.length).split('; ')) {
    const [suite, date] = part.split(' ');
    if (suite && date) runDates.set(suite, date);
  }
} else {
  const dated = /^- Date: (\S+)(?: \(suites run: ([^)]*)\))?/.exec(
    previous.find((l) => l.startsWith('- Date: ')) ?? '',
  );
  const kept = /^- Rows of (.*) not re-run: kept from the previous file \(dated ([^ )]+)\)/.exec(
    previous.find((l) => l.startsWith('- Rows of ')) ?? '',
  );
  for (const suite of kept?.[1]?.split(', ') ?? []) runDates.set(suite, kept![2]!);
  for (const suite of dated?.[2]?.split(', ') ?? []) runDates.set(suite, dated![1]!);
}
const now = new Date().toISOString();
// Table rows come before the free-text sections (whose own tables are not rows).
const firstSection = previous.findIndex((l) => l.startsWith('<!-- section:'));
const keptRows = (firstSection < 0 ? previous : previous.slice(0, firstSection))
  .filter((l) => l.startsWith('| ') && !l.startsWith('| suite |') && !l.startsWith('| --- '))
  .map((line) => ({ suite: line.slice(2, line.indexOf(' |', 2)), line }))
  .filter((row) => !ranSuites.has(row.suite));
const keptSuites = [...new Set(keptRows.map((r) => r.suite))];
const rows = [
  ...all.map((r) => ({
    suite: r.suite,
    line:
      `| ${r.suite} | ${r.name} | ${fmt(r.vigil)} ${r.unit} | ${r.peerName} | ${fmt(r.peer)} ${r.unit} | ` +
      `${fmt(r.ratio)}x | ${r.target} | ${r.informational ? '—' : r.met ? 'yes' : '**no**'} | ${r.notes ?? ''} |`,
  })),
  ...keptRows,
].sort((a, b) => (a.suite < b.suite ? -1 : a.suite > b.suite ? 1 : 0)); // stable: rows keep their order

// Free-text sections: a suite may write bench/results/<suite>.md (the SLO
// engine's section, for one); sections of suites not run this time are kept
// from the previous file, between their <!-- section:NAME --> markers.
const sections: { suite: string; lines: string[] }[] = [];
if (existsSync(resultsDir)) {
  for (const f of readdirSync(resultsDir)
    .filter((x) => x.endsWith('.md') && writtenNow(x))
    .sort()) {
    const suite = f.slice(0, -'.md'.length);
    sections.push({
      suite,
      lines: readFileSync(join(resultsDir, f), 'utf8').trimEnd().split('\n'),
    });
  }
}
for (let i = 0; i < previous.length; i++) {
  const m = /^<!-- section:(.+) -->$/.exec(previous[i]!);
  if (m === null) continue;
  const suite = m[1]!;
  const end = previous.indexOf(`<!-- /section:${suite} -->`, i);
  if (end < 0) break;
  if (!sections.some((sec) => sec.suite === suite)) {
    sections.push({ suite, lines: previous.slice(i + 1, end) });
  }
  i = end;
}
sections.sort((a, b) => (a.suite < b.suite ? -1 : a.suite > b.suite ? 1 : 0));

const cpu = cpus();
const lines = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (bench/src/run-all.ts); do not edit by hand. Each figure is the',
  'median of alternating rounds in which Vigil and its peer run in the same process (for the',
  'http suite: one server process per variant, loaded in turn by the same load generator), so',
  'that noise on the shared machine hits both alike. The ratio says how many times better Vigil',
  'is (for requests/s: Vigil over the peer). Where the issue sets an absolute target (the tsdb',
  'suite, the parser, the scrape path), the target is the peer column. The side-by-side suite',
  'runs Vigil and Prometheus as servers at the same time against the same targets; its figures',
  'without a target are reported (met: —), not judged. The promql suite loads the same 10,000',
  'series over 6 hours into Vigil and into Prometheus (promtool), checks that both answer the',
  'same numbers, then times the same queries against both servers in the same run; its ratio is',
  'Prometheus over Vigil, so the target "≥ 0.5x" means Vigil takes at most twice as long. Both',
  "servers restart on their data before measuring: Prometheus on promtool's blocks, Vigil on a",
  'store whose closed 4-hour windows are compacted and whose newest window sits in recent rows',
  'and the head, as in a live server.',
  '',
  `- Date: ${now}` +
    (keptSuites.length > 0
      ? ` (suites run: ${ranSuites.size > 0 ? [...ranSuites].sort().join(', ') : 'none'})`
      : ''),
  `- Run dates: ${[...new Set(rows.map((r) => r.suite))]
    .map((suite) => `${suite} ${ranSuites.has(suite) ? now : (runDates.get(suite) ?? 'unknown')}`)
    .join('; ')}`,
  `- Node: ${process.version} (V8 ${process.versions.v8})`,
  `- CPU: ${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
  '',
  '| suite | measurement | Vigil | peer | peer value | ratio | target | met | notes |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => r.line),
  '',
  ...sections.flatMap((sec) => [
    `<!-- section:${sec.suite} -->`,
    ...sec.lines,
    `<!-- /section:${sec.suite} -->`,
    '',
  ]),
];
writeFileSync(docPath, lines.join('\n'));
console.log(
  `\nWrote docs/benchmarks.md (${all.length} figures` +
    (keptRows.length > 0 ? `, ${keptRows.length} kept from the previous file` : '') +
    ').',
);
if (failed) process.exit(1);
