export { runWithCorrelation, getCorrelation } from './correlation.js';
export type { CorrelationFields, CorrelationValue } from './correlation.js';
export { setTraceContextProvider, currentTraceIds } from './trace.js';
export type { TraceIds, TraceContextProvider } from './trace.js';
