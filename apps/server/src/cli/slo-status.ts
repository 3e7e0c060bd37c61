/**
 * `vigil slo status [--service NAME] [--server URL] [--json]`: the SLO table
 * from a running server's `/api/v1/slos`.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { renderStatusTable, shouldUseColour } from '@vigil/slo';
import { ServerRefused, errorText, fetchSlos, serverUrl } from './slo-client.js';
import type { CliIo } from './slo-client.js';

/** Help of `vigil slo status`. */
export const SLO_STATUS_HELP = `Usage: vigil slo status [--service NAME] [--server URL] [--json]

Shows every SLO (or one service's) from the Vigil server: SLI, target, budget
remaining as a bar, burn rates, data state, and each service's policy state.
Colour only when stdout is a terminal and NO_COLOR is unset.

Options:
  --service NAME   Only this service.
  --server URL     Vigil server (env VIGIL_URL; default http://127.0.0.1:9090).
  --json           Write the API's data (slos and services) as JSON.
  -h, --help       Show this help.

Exit status: 0 shown, 2 usage error, unknown service or server unreachable.
`;

/** Runs `vigil slo status` with `args` (after `status`); resolves to the exit status. */
export async function sloStatusCommand(args: readonly string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        service: { type: 'string' },
        server: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(`vigil slo status: ${errorText(err)}\n\n${SLO_STATUS_HELP}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(SLO_STATUS_HELP);
    return 0;
  }
  const base = serverUrl(values.server, io.env);
  try {
    const data = await fetchSlos(base, values.service);
    if (values.json === true) {
      io.stdout.write(JSON.stringify(data) + '\n');
      return 0;
    }
    io.stdout.write(
      renderStatusTable(
        data.slos,
        data.services.map((s) => s.policy),
        { colour: shouldUseColour(io.stdout, io.env) },
      ),
    );
    return 0;
  } catch (err) {
    const text =
      err instanceof ServerRefused && err.status === 404
        ? `unknown service "${values.service ?? ''}": ${err.message}`
        : errorText(err);
    io.stderr.write(`vigil slo status: ${text}\n`);
    return 2;
  }
}
