import { openTsdb } from '@vigil/tsdb';
import { Engine } from '@vigil/promql';
const db = openTsdb('/tmp/vigil-pp', { maintenanceIntervalMs: 0, retentionMs: 0 });
const T0 = 1_700_000_000_000, end = T0 + 1439*15000 + 10000;
const engine = new Engine({ queryable: db });
for (let r=0;r<30;r++){ const c0=process.cpuUsage(); const t0=performance.now(); await engine.instantQuery(process.env.Q ?? '{job="api"}', end); if (r>24) console.log((performance.now()-t0).toFixed(0), (process.cpuUsage(c0).user/1000).toFixed(0)); }
db.close();
