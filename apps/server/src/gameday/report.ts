/**
 * The Markdown report of a game day: verdicts, timeline and budgets, laid out
 * as the first draft of a postmortem (the sections a person fills in are
 * there, left blank).
 *
 * @module
 */
import { formatDuration, pct } from './runner.js';
import type { GamedayResult } from './runner.js';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function figure(v: number | null): string {
  return v === null ? 'no data' : pct(v);
}

/** `T+1m05s` (from the run's start). */
function offset(ms: number): string {
  return `T+${formatDuration(ms)}`;
}

/**
 * Renders `result` as Markdown. Pure; any number of calls may run at once.
 */
export function renderGamedayReport(result: GamedayResult): string {
  const passed = result.verdicts.filter((v) => v.status === 'pass').length;
  const failed = result.verdicts.filter((v) => v.status === 'fail').length;
  const undecided = result.verdicts.length - passed - failed;
  const detections = result.verdicts.filter((v) => v.timeToDetectMs !== undefined);
  const outcome =
    result.outcome === 'completed'
      ? failed === 0 && undecided === 0
        ? 'all expectations met'
        : `${failed} of ${result.verdicts.length} expectation(s) failed`
      : result.outcome === 'interrupted'
        ? 'interrupted before its end (faults removed)'
        : `aborted: ${result.error ?? 'unknown error'}`;
  const lines: string[] = [
    `# Game day: ${result.scenario}`,
    '',
    `- Scenario: \`${result.source}\``,
    ...(result.description.trim() === '' ? [] : [`- Description: ${result.description.trim()}`]),
    `- Run: ${iso(result.startedAtMs)} to ${iso(result.endedAtMs)} (${formatDuration(result.endedAtMs - result.startedAtMs)})`,
    `- First fault: ${iso(result.firstFaultAtMs)} (${offset(result.firstFaultAtMs - result.startedAtMs)})`,
    `- Outcome: **${outcome}**`,
    ...(result.leftBehind.length === 0
      ? []
      : [
          `- Faults the runner could not remove (they expire on their own): ${result.leftBehind.join(', ')}`,
        ]),
    '',
    '## Verdicts',
    '',
    '| Expectation | Verdict | Measured |',
    '| --- | --- | --- |',
    ...result.verdicts.map(
      (v) =>
        `| ${cell(v.expectation)} | ${v.status === 'pass' ? 'PASS' : v.status === 'fail' ? 'FAIL' : 'UNDECIDED'} | ${cell(v.measured)} |`,
    ),
    ...(result.verdicts.length === 0 ? ['| (none) | | |'] : []),
    '',
    '## Summary',
    '',
    '_What happened, in two or three sentences (to fill in)._',
    '',
    '## Impact',
    '',
    '_Who or what was affected, for how long (to fill in). The budget figures below measure it against the SLOs._',
    '',
    '| SLO | Budget remaining at start | At end | Lowest | Consumed during the run |',
    '| --- | --- | --- | --- | --- |',
    ...result.budgets.map(
      (b) =>
        `| ${cell(b.slo)} | ${figure(b.startRemaining)} | ${figure(b.endRemaining)} | ${figure(b.minRemaining)} | ${b.startRemaining === null || b.endRemaining === null ? 'n/a' : pct(b.startRemaining - b.endRemaining)} |`,
    ),
    ...(result.budgets.length === 0 ? ['| (the server reported no SLOs) | | | | |'] : []),
    '',
    '## Detection',
    '',
    ...(detections.length === 0
      ? ['No alert expectation measured a time to detect.']
      : detections.map(
          (v) =>
            `- ${v.expectation}: ${v.measured} (time to detect ${formatDuration(v.timeToDetectMs!)})`,
        )),
    '',
    '_How was it noticed, and would a person have noticed sooner or later? (to fill in)_',
    '',
    '## Timeline',
    '',
    'Times are UTC; T+ is the offset from the start of the run.',
    '',
    '| Time | Offset | Event | What |',
    '| --- | --- | --- | --- |',
    ...result.timeline.map(
      (e) => `| ${iso(e.atMs)} | ${offset(e.offsetMs)} | ${e.type} | ${cell(e.text)} |`,
    ),
    '',
    '## What went well',
    '',
    '_To fill in._',
    '',
    '## What went wrong',
    '',
    '_To fill in._',
    '',
    '## Follow-ups',
    '',
    '| Action | Owner | Priority | Ticket |',
    '| --- | --- | --- | --- |',
    '| | | | |',
    '',
  ];
  return lines.join('\n');
}
