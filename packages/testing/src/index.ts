export { requireTool, runWithInput, freePort, startPrometheus, waitFor } from './peers.js';
export type { RunResult, PrometheusPeer } from './peers.js';
export { OtlpReceiver } from './otlp-receiver.js';
export type { ReceivedSpan } from './otlp-receiver.js';
export { startPostgres } from './postgres.js';
export type { PostgresPeer, StartPostgresOptions } from './postgres.js';
export { listen, close } from './http-server.js';
export { seededRandom } from './random.js';
