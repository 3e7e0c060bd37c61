import { rmSync } from 'node:fs';
import { labelsFromRecord } from '@vigil/storage';
import { openTsdb } from '@vigil/tsdb';
import { Engine } from '@vigil/promql';
import { newLabelMatcher } from '@vigil/model';
const dir = '/tmp/vigil-pp'; rmSync(dir, { recursive: true, force: true });
const N = 10000, S = 1440, step = 15000; const T0 = 1_700_000_000_000;
const db = openTsdb(dir, { maintenanceIntervalMs: 0, retentionMs: 0 });
const labels = []; for (let k=0;k<N;k++) labels.push(labelsFromRecord({__name__:'req_total', job:'api', instance:`i${k%10}`, route:`/r${k}`}));
const vals = new Float64Array(N); const refs = new Array(N).fill(0);
for (let i=0;i<S;i++){ const app = db.appender(); for (let k=0;k<N;k++){ vals[k] += (k%7)+1; refs[k]=app.append(refs[k], labels[k], T0+i*step+ (k%10)*1000, vals[k]); } await app.commit(); if (i%40===39) db.maintain(); }
db.maintain(true); db.compact(); db.maintain(true);
const engine = new Engine({ queryable: db });
const end = T0 + (S-1)*step + 10000;
const m = [newLabelMatcher('=', 'job', 'api')];
for (let r=0;r<20;r++){ const c0=process.cpuUsage(); const t0=performance.now();
  if (process.env.RAW) { const q = db.querier(end-300000, end); const set = q.select(m); let n=0; while (set.next()) { const it = set.at().iterator(); while (it.next()) n++; } q.close(); }
  else await engine.instantQuery('{job="api"}', end);
  if (r>14) console.log((performance.now()-t0).toFixed(0), (process.cpuUsage(c0).user/1000).toFixed(0)); }
db.close();
