/**
 * Child process for the "keeps nothing alive" tests: starts process metrics
 * and a resource watch, scrapes once, optionally stops both, then returns.
 * The process must exit by itself; the parent measures how long it takes.
 *
 * Usage: node exit-check.js stop|nostop
 */
import { Registry } from '../../metrics/index.js';
import { collectProcessMetrics, watchResources } from '../index.js';

const registry = new Registry();
const metrics = collectProcessMetrics({ registry });
const watch = watchResources({ registry, intervalMs: 20 });
const text = await registry.metrics();
await new Promise((resolve) => setTimeout(resolve, 60));
if (process.argv[2] === 'stop') {
  metrics.stop();
  watch.stop();
}
process.stdout.write(text.includes('# TYPE process_cpu_seconds_total counter') ? 'scraped\n' : '');
