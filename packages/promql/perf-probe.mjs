import { MemoryStorage, labelsFromRecord } from '@vigil/storage';
import { Engine } from '@vigil/promql';
const N = Number(process.env.N ?? 2000), S = 1440, step = 15000;
const storage = new MemoryStorage(); const app = storage.appender();
const les = ['0.005','0.01','0.025','0.05','0.1','0.25','0.5','1','2.5','5','10','+Inf'];
for (let k=0;k<N;k++){ const isB = k < N/10; const labels = isB ? labelsFromRecord({__name__:'lat_bucket', le: les[k%12], instance:`i${Math.floor(k/12)%50}`}) : labelsFromRecord({__name__:'req_total', job:`j${k%10}`, instance:`i${k}`});
 let ref=0, v=0; for(let i=0;i<S;i++){ v += (k%7)+1; ref=app.append(ref, labels, i*step, v);} }
await app.commit();
const engine = new Engine({ queryable: storage });
for (const q of ['sum by (job) (rate(req_total[5m]))', 'histogram_quantile(0.99, sum by (le) (rate(lat_bucket[5m])))', 'req_total{instance="i500"}']) {
  for (let r=0;r<3;r++){ const t0=performance.now(); const res = await engine.rangeQuery(q, 0, (S-1)*step, step); const t1=performance.now(); console.log(q, (t1-t0).toFixed(1)+'ms', res.value.series.length); }
}
const t0=performance.now(); const r = await engine.instantQuery('sum(rate(req_total[5m]))', (S-1)*step); console.log('instant', (performance.now()-t0).toFixed(1));
