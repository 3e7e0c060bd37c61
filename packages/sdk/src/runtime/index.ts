export { init, shutdown, isInitialized } from './init.js';
export type { InitOptions, Vigil } from './init.js';
export { currentRuntime } from './state.js';
export type { SdkRuntime } from './state.js';
