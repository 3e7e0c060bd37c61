/**
 * `vigil slo report --period YYYY-MM [--service NAME] [--server URL] [-o FILE]`:
 * the monthly SLO report in Markdown, from a running server's `/api/v1/slos`
 * (which SLOs, their targets and current decisions) and its query API
 * (`/api/v1/query_range` over the recorded `slo:sli_error:ratio_rate5m`).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  budgetHistoryFromQueryApi,
  computeMonthlyReport,
  parseReportPeriod,
  renderMonthlyReport,
  reportCharts,
} from '@vigil/slo';
import { RemoteQueryApi } from '../query/remote-query-api.js';
import { ServerRefused, errorText, fetchSlos, serverUrl } from './slo-client.js';
import type { CliIo } from './slo-client.js';

/** Help of `vigil slo report`. */
export const SLO_REPORT_HELP = `Usage: vigil slo report --period YYYY-MM [--service NAME] [--server URL] [-o FILE [--inline-svg]]

Writes a monthly SLO report in Markdown: per service and SLO, the SLI over
the month, target, budget consumed and remaining, worst 1-hour burn, data
coverage and policy state, with an inline SVG chart of the budget burn-down.
Figures come from the server's recorded slo:sli_error:ratio_rate5m series
(see docs/slo-policy.md for how they are computed).

Options:
  --period YYYY-MM  The calendar month (UTC), required.
  --service NAME    Only this service.
  --server URL      Vigil server (env VIGIL_URL; default http://127.0.0.1:9090).
  -o, --output FILE Write the report to FILE instead of stdout; the charts go
                    to side files FILE-STEM-<slo id>.svg beside it, linked
                    as images (GitHub does not show inline SVG).
  --inline-svg      With -o, keep the charts inline in the Markdown.
  -h, --help        Show this help.

Exit status: 0 written, 2 usage error, unknown service, server unreachable
or a failed query.
`;

/**
 * Runs `vigil slo report` with `args` (after `report`); resolves to the exit
 * status. `nowMs` ends the data of the current month (tests fix it).
 */
export async function sloReportCommand(
  args: readonly string[],
  io: CliIo,
  nowMs: number = Date.now(),
): Promise<number> {
  const usage = (message: string): number => {
    io.stderr.write(`vigil slo report: ${message}\n\n${SLO_REPORT_HELP}`);
    return 2;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        period: { type: 'string' },
        service: { type: 'string' },
        server: { type: 'string' },
        output: { type: 'string', short: 'o' },
        'inline-svg': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return usage(errorText(err));
  }
  if (values.help === true) {
    io.stdout.write(SLO_REPORT_HELP);
    return 0;
  }
  if (values.period === undefined) return usage('--period YYYY-MM is required');
  const period = parseReportPeriod(values.period);
  if (period === undefined)
    return usage(`--period must be a month such as 2026-11 (got "${values.period}")`);
  if (period.startMs > nowMs) return usage(`--period ${period.label} is in the future`);
  const base = serverUrl(values.server, io.env);
  let markdown: string;
  try {
    const data = await fetchSlos(base, values.service);
    const history = budgetHistoryFromQueryApi(new RemoteQueryApi({ url: base, timeoutMs: 60_000 }));
    const report = await computeMonthlyReport(
      data.slos,
      data.services.map((s) => ({ service: s.name, thresholds: s.thresholds, decision: s.policy })),
      history,
      period,
      nowMs,
    );
    const output = values.output;
    if (output !== undefined && values['inline-svg'] !== true) {
      const stem = basename(output).replace(/\.(md|markdown)$/i, '');
      const fileOf = (sloId: string): string =>
        `${stem}-${sloId.replace(/[^A-Za-z0-9._-]/g, '_')}.svg`;
      for (const chart of reportCharts(report)) {
        writeFileSync(join(dirname(output), fileOf(chart.sloId)), chart.svg + '\n');
      }
      markdown = renderMonthlyReport(report, { chartLink: fileOf });
    } else {
      markdown = renderMonthlyReport(report);
    }
  } catch (err) {
    const text =
      err instanceof ServerRefused && err.status === 404
        ? `unknown service "${values.service ?? ''}": ${err.message}`
        : errorText(err);
    io.stderr.write(`vigil slo report: ${text}\n`);
    return 2;
  }
  if (values.output !== undefined) {
    try {
      writeFileSync(values.output, markdown);
    } catch (err) {
      io.stderr.write(`vigil slo report: cannot write ${values.output}: ${errorText(err)}\n`);
      return 2;
    }
    io.stderr.write(`Wrote the ${period.label} report to ${values.output}\n`);
  } else {
    io.stdout.write(markdown);
  }
  return 0;
}
