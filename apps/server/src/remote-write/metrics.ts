import { Counter, Histogram } from '@vigil/sdk';
import type { Registry } from '@vigil/sdk';
import type { RemoteWriteOutcome } from './handler.js';

/**
 * The receiver's own metrics, registered on one registry. Create one per
 * registry (registering twice throws `METRIC_ALREADY_REGISTERED`).
 */
export class RemoteWriteMetrics {
  /** Requests accepted (answered 204). */
  readonly requests: Counter;
  /** Requests refused, by `reason` (the error code in lower case, e.g. `remote_write_invalid`). */
  readonly rejected: Counter<'reason'>;
  /** Float samples written by accepted requests. */
  readonly samples: Counter;
  /** Time series entries (with samples) in accepted requests. */
  readonly series: Counter;
  /** Exemplars received and not stored. */
  readonly exemplarsDropped: Counter;
  /** Native histogram samples received and not stored. */
  readonly histogramsDropped: Counter;
  /** Metadata entries received and not stored. */
  readonly metadataDropped: Counter;
  /** Time to handle a request, body reading included, in seconds. */
  readonly duration: Histogram;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'vigil_remote_write_requests_total',
      help: 'Remote-write requests accepted.',
      registry,
    });
    this.rejected = new Counter({
      name: 'vigil_remote_write_requests_rejected_total',
      help: 'Remote-write requests refused, by reason (the error code); nothing of them was written.',
      labelNames: ['reason'] as const,
      registry,
    });
    this.samples = new Counter({
      name: 'vigil_remote_write_samples_total',
      help: 'Float samples written by accepted remote-write requests.',
      registry,
    });
    this.series = new Counter({
      name: 'vigil_remote_write_series_total',
      help: 'Time series entries with samples in accepted remote-write requests.',
      registry,
    });
    this.exemplarsDropped = new Counter({
      name: 'vigil_remote_write_exemplars_dropped_total',
      help: 'Exemplars received over remote write and not stored (not supported yet).',
      registry,
    });
    this.histogramsDropped = new Counter({
      name: 'vigil_remote_write_histograms_dropped_total',
      help: 'Native histogram samples received over remote write and not stored (not supported yet).',
      registry,
    });
    this.metadataDropped = new Counter({
      name: 'vigil_remote_write_metadata_dropped_total',
      help: 'Metric metadata entries received over remote write and not stored.',
      registry,
    });
    this.duration = new Histogram({
      name: 'vigil_remote_write_request_duration_seconds',
      help: 'Time to handle a remote-write request, reading the body included.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registry,
    });
  }

  /** Counts an accepted request. */
  accepted(outcome: RemoteWriteOutcome): void {
    this.requests.inc();
    this.samples.inc(outcome.sampleCount);
    this.series.inc(outcome.seriesCount);
    if (outcome.exemplarCount > 0) this.exemplarsDropped.inc(outcome.exemplarCount);
    if (outcome.histogramCount > 0) this.histogramsDropped.inc(outcome.histogramCount);
    if (outcome.metadataCount > 0) this.metadataDropped.inc(outcome.metadataCount);
  }
}
