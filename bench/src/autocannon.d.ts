/**
 * The part of autocannon 8's programmatic API the HTTP benchmark uses
 * (the package ships no types and `@types/autocannon` is not installed).
 */
declare module 'autocannon' {
  /** Options of one run. */
  export interface Options {
    url: string;
    /** Concurrent connections. */
    connections?: number;
    /** Requests in flight per connection. */
    pipelining?: number;
    /** Seconds to run. */
    duration?: number;
    /** Seconds before a request counts as timed out. */
    timeout?: number;
  }

  /** Percentiles of a histogram (latency in ms, requests and bytes per second). */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
    total: number;
  }

  /** The aggregated result of one run. */
  export interface Result {
    /** Wall time of the run, seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    resets: number;
    '2xx': number;
    latency: Histogram;
    requests: Histogram & { sent: number };
    throughput: Histogram;
  }

  /** Runs the load; resolves with the aggregated result. */
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
