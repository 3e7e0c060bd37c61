export {
  DEFAULT_SCRAPE_INTERVAL_MS,
  DEFAULT_SCRAPE_TIMEOUT_MS,
  DEFAULT_BODY_SIZE_LIMIT_BYTES,
  parseSizeBytes,
  relabelConfigSchema,
  scrapeConfigSchema,
  scrapeConfigsSchema,
  formatConfigPath,
  resolveScrapeConfigs,
  parseScrapeConfigs,
} from './config.js';
export type {
  StaticConfig,
  AuthorizationConfig,
  BasicAuthConfig,
  TlsConfig,
  ScrapeConfig,
  ScrapeGlobalConfig,
  ParseScrapeConfigsOptions,
  ParsedScrapeConfig,
} from './config.js';
export {
  RELABEL_ACTIONS,
  RELABEL_DEFAULTS,
  translateRegex,
  compileRelabelConfig,
  compileRelabelConfigs,
  relabelBuilder,
  relabel,
} from './relabel.js';
export type { RelabelAction, RawRelabelConfig, RelabelConfig } from './relabel.js';
export { LabelsBuilder } from './labels-builder.js';
export { buildTargets, discoveredLabels, scrapeOffsetMs } from './target.js';
export type { Target, DroppedTarget, TargetSet } from './target.js';
export {
  SCRAPE_ACCEPT_HEADER,
  DEFAULT_SCRAPE_USER_AGENT,
  formatOfContentType,
} from './http-scrape.js';
export { normalizeBoundLabel } from './scrape-loop.js';
export type { TargetHealthState, ScrapeFailureReason } from './scrape-loop.js';
export { ScrapeManager } from './manager.js';
export type {
  ScrapeManagerOptions,
  TargetHealth,
  DroppedTargetInfo,
  MetricMetadata,
} from './manager.js';
