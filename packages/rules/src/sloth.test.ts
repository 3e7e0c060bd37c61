import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Engine } from '@vigil/promql';
import { labelsFromRecord, MemoryStorage } from '@vigil/storage';
import { RuleManager } from './evaluator.js';
import { parseRuleFile } from './rule-file.js';

// Sloth's generated rules for its getting-started SLO (99.9% availability),
// from the workspace copy of Sloth's golden files (never copied into the repo).
const file = fileURLToPath(
  new URL('../../../../shared/peer-tests/sloth/examples/_gen/getting-started.yml', import.meta.url),
);
const T0 = 1_700_000_000_000;
const MIN = 60_000;

describe(
  'Sloth-generated rules evaluated by RuleManager',
  { skip: existsSync(file) ? false : `${file} is not there` },
  () => {
    it('stay quiet without errors, then page and ticket alerts fire on a 10% error rate', async () => {
      const storage = new MemoryStorage();
      const groups = parseRuleFile(readFileSync(file, 'utf8'), 'getting-started.yml');
      const manager = new RuleManager({
        queryApi: new Engine({ queryable: storage }),
        appendable: storage,
      });
      manager.load(groups);
      const ok = labelsFromRecord({
        __name__: 'http_request_duration_seconds_count',
        job: 'myservice',
        code: '200',
      });
      const bad = labelsFromRecord({
        __name__: 'http_request_duration_seconds_count',
        job: 'myservice',
        code: '500',
      });
      let okTotal = 0;
      let badTotal = 0;
      const firingAt = (minute: number): string[] =>
        manager
          .alertStates()
          .filter((a) => a.state === 'firing')
          .map((a) => `${minute}:${a.labels.sloth_severity}`);
      const log: string[] = [];
      for (let minute = 0; minute <= 40; minute++) {
        // 10 requests/s; from minute 20 on, 10% of them fail.
        for (let s = 0; s < 60; s += 15) {
          const t = T0 + minute * MIN + s * 1000;
          const errorShare = minute >= 20 ? 0.1 : 0;
          okTotal += 150 * (1 - errorShare);
          badTotal += 150 * errorShare;
          const app = storage.appender();
          app.append(0, ok, t, okTotal);
          app.append(0, bad, t, badTotal);
          await app.commit();
        }
        const t = T0 + minute * MIN + 45_000;
        for (const g of groups) await manager.evaluateGroup(g.name, t);
        log.push(...firingAt(minute));
      }
      for (const g of manager.rules().groups) {
        for (const r of g.rules)
          assert.equal(r.health, 'ok', `${g.name} ${r.name}: ${r.lastError ?? ''}`);
      }
      // Nothing before the errors start; both tiers from the first evaluation that sees them.
      assert.ok(
        log.every((entry) => Number(entry.split(':')[0]) >= 20),
        log.join(' '),
      );
      // By hand, at minute 20 (45 s of errors): 45 bad of about 12450 requests
      // since the start of the data, 0.36%: above the ticket threshold (1d and
      // 2h windows > 3 x 0.1%) but below the page ones (6 x 0.1% for 30m/6h,
      // 14.4 x 0.1% for 5m/1h). At minute 21, 105 of 13050 = 0.8% > 0.6%: page.
      const expected = ['20:ticket'];
      for (let minute = 21; minute <= 40; minute++)
        expected.push(`${minute}:page`, `${minute}:ticket`);
      assert.deepEqual(log.slice().sort(), expected.slice().sort());
      const alerts = manager.alerts().alerts;
      assert.deepEqual(
        alerts.map((a) => [a.labels.sloth_severity, a.state, a.annotations.title]).sort(),
        [
          [
            'page',
            'firing',
            '(page) myservice requests-availability SLO error budget burn rate is too fast.',
          ],
          [
            'ticket',
            'firing',
            '(ticket) myservice requests-availability SLO error budget burn rate is too fast.',
          ],
        ],
      );
      const page = alerts.find((a) => a.labels.sloth_severity === 'page')!;
      assert.deepEqual(page.labels, {
        alertname: 'MyServiceHighErrorRate',
        category: 'availability',
        cmd: 'examplesgen.sh',
        owner: 'myteam',
        repo: 'myorg/myservice',
        routing_key: 'myteam',
        severity: 'pageteam',
        sloth_id: 'myservice-requests-availability',
        sloth_service: 'myservice',
        sloth_severity: 'page',
        sloth_slo: 'requests-availability',
        tier: '2',
      });
      // The 5-minute SLI is 10% errors at the end.
      const q = await new Engine({ queryable: storage }).instantQuery(
        'slo:sli_error:ratio_rate5m',
        T0 + 40 * MIN + 45_000,
      );
      assert.equal(q.value.type, 'vector');
      if (q.value.type === 'vector') assert.ok(Math.abs(q.value.samples[0]!.value - 0.1) < 1e-9);
    });
  },
);
