export const TSDB_PLACEHOLDER = true;
