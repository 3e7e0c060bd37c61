/**
 * `vigil budget check --service NAME`: the deploy gate for CI pipelines.
 *
 * Exit statuses: 0 deploying is allowed; 1 the policy says stop (the
 * service's state is one of `--stop-on`, default `freeze`, or it is
 * `unknown` without `--allow-unknown`); 2 usage error, unknown service,
 * server unreachable or any other failure to decide. A one-line verdict on
 * stdout (or a JSON object with `--json`).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { POLICY_STATES } from '@vigil/slo';
import type { PolicyDecision, PolicyState } from '@vigil/slo';
import { ServerRefused, errorText, fetchSlos, serverUrl } from './slo-client.js';
import type { CliIo } from './slo-client.js';

/** Deploying is allowed. */
export const GATE_ALLOW = 0;
/** The policy says stop. */
export const GATE_STOP = 1;
/** The gate could not decide (usage, unknown service, unreachable server). */
export const GATE_ERROR = 2;

/** Help of `vigil budget check`. */
export const BUDGET_HELP = `Usage: vigil budget check --service NAME [--server URL] [--stop-on STATES] [--allow-unknown] [--json]

The deploy gate: reads the service's error-budget policy decision from the
Vigil server (/api/v1/slos) and says whether deploying is allowed.

Options:
  --service NAME     The service to check (required).
  --server URL       Vigil server (env VIGIL_URL; default http://127.0.0.1:9090).
  --stop-on STATES   Comma-separated states that stop a deploy (default: freeze).
                     States: ship, balance, reliability-first, freeze, unknown.
  --allow-unknown    Allow deploying when the state is unknown (no SLO has data).
                     Without it, unknown stops, like a state in --stop-on.
  --json             Write a JSON object instead of the one-line verdict.
  -h, --help         Show this help.

Exit status: 0 deploy allowed, 1 the policy says stop, 2 usage error,
unknown service or server unreachable (the gate could not decide).
`;

/** The `--json` output of the gate. */
export interface BudgetCheckJson {
  readonly service: string;
  readonly allowed: boolean;
  readonly exitCode: number;
  readonly state: PolicyState;
  readonly stopOn: readonly PolicyState[];
  readonly allowUnknown: boolean;
  readonly verdict: string;
  readonly decision: PolicyDecision;
}

/** Runs `vigil budget check` with `args` (after `budget`); resolves to the exit status. */
export async function budgetCheckCommand(args: readonly string[], io: CliIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr.write(`vigil budget check: ${message}\n\n${BUDGET_HELP}`);
    return GATE_ERROR;
  };
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: {
        service: { type: 'string' },
        server: { type: 'string' },
        'stop-on': { type: 'string' },
        'allow-unknown': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    return usage(errorText(err));
  }
  if (values.help === true) {
    io.stdout.write(BUDGET_HELP);
    return 0;
  }
  if (positionals[0] !== 'check' || positionals.length > 1) {
    return usage(`expected "vigil budget check" (got "vigil budget ${positionals.join(' ')}")`);
  }
  const service = values.service;
  if (service === undefined || service === '') return usage('--service NAME is required');
  const stopOn: PolicyState[] = [];
  for (const raw of (values['stop-on'] ?? 'freeze').split(',')) {
    const state = raw.trim();
    if (state === '') continue;
    if (!POLICY_STATES.includes(state as PolicyState)) {
      return usage(
        `--stop-on: unknown state "${state}" (states: ship, balance, reliability-first, freeze, unknown)`,
      );
    }
    stopOn.push(state as PolicyState);
  }
  const allowUnknown = values['allow-unknown'] === true;
  const base = serverUrl(values.server, io.env);
  let decision: PolicyDecision | undefined;
  try {
    const data = await fetchSlos(base, service);
    decision = data.services.find((s) => s.name === service)?.policy;
  } catch (err) {
    const text =
      err instanceof ServerRefused && err.status === 404
        ? `unknown service "${service}" at ${base}: ${err.message}`
        : errorText(err);
    if (values.json === true) {
      io.stdout.write(
        JSON.stringify({ service, allowed: null, exitCode: GATE_ERROR, error: text }) + '\n',
      );
    }
    io.stderr.write(`vigil budget check: ${text}\n`);
    return GATE_ERROR;
  }
  if (decision === undefined) {
    io.stderr.write(`vigil budget check: the server gave no policy decision for "${service}"\n`);
    return GATE_ERROR;
  }
  const stop =
    decision.state === 'unknown'
      ? !allowUnknown || stopOn.includes('unknown')
      : stopOn.includes(decision.state);
  const exitCode = stop ? GATE_STOP : GATE_ALLOW;
  const verdict = `${stop ? 'STOP' : 'DEPLOY ALLOWED'}: ${decision.verdict}`;
  if (values.json === true) {
    const out: BudgetCheckJson = {
      service,
      allowed: !stop,
      exitCode,
      state: decision.state,
      stopOn,
      allowUnknown,
      verdict,
      decision,
    };
    io.stdout.write(JSON.stringify(out) + '\n');
  } else {
    io.stdout.write(verdict + '\n');
  }
  return exitCode;
}
