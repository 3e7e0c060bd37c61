/**
 * Applies a decoded remote-write request to storage, all or nothing.
 *
 * The whole request is checked first (labels: empty values dropped as
 * Prometheus drops them, sorted, validated), then every sample is appended
 * through one `Appender`. If any sample is refused (out of order, duplicate,
 * out of bounds), the batch is rolled back and the error is rethrown, so
 * the sender gets a 400 and nothing of the request is stored; this is what
 * Prometheus's own receiver does.
 *
 * @module
 */
import { VigilError, isVigilError } from '@vigil/model';
import { labelsToRecord, sortLabelPairs, validateSeriesLabels } from '@vigil/storage';
import type { Appendable, SeriesLabels } from '@vigil/storage';
import type { DecodedWriteRequest } from './protobuf.js';

/** What one accepted request brought. */
export interface RemoteWriteOutcome {
  /** `TimeSeries` entries that carried at least one float sample. */
  readonly seriesCount: number;
  /** Float samples appended (including ones identical to a stored sample, which storage ignores). */
  readonly sampleCount: number;
  /** Exemplars skipped (not stored). */
  readonly exemplarCount: number;
  /** Native histogram samples skipped (not stored). */
  readonly histogramCount: number;
  /** Metadata entries skipped. */
  readonly metadataCount: number;
}

/** A series ready to append: sorted, validated labels and its sample range. */
interface PreparedSeries {
  readonly labels: SeriesLabels;
  readonly start: number;
  readonly end: number;
}

/**
 * Drops empty-valued labels, sorts and validates the labels of every series
 * that has samples.
 *
 * @throws VigilError `SERIES_LABELS_INVALID` naming the series' position in
 *   the request and the offending label.
 */
export function prepareSeries(request: DecodedWriteRequest): PreparedSeries[] {
  const out: PreparedSeries[] = [];
  for (let i = 0; i < request.series.length; i++) {
    const s = request.series[i]!;
    if (s.end === s.start) continue;
    let pairs: string[] = s.labels;
    for (let k = 1; k < pairs.length; k += 2) {
      if (pairs[k] === '') {
        pairs = [];
        for (let j = 0; j < s.labels.length; j += 2) {
          if (s.labels[j + 1] !== '') pairs.push(s.labels[j]!, s.labels[j + 1]!);
        }
        break;
      }
    }
    const labels = sortLabelPairs(pairs);
    try {
      validateSeriesLabels(labels);
    } catch (err) {
      if (!isVigilError(err)) throw err;
      throw new VigilError(
        err.code,
        `Time series ${i} of the request: ${err.message} Nothing of the request was written.`,
        { cause: err, details: { seriesIndex: i, ...err.details } },
      );
    }
    out.push({ labels, start: s.start, end: s.end });
  }
  return out;
}

/**
 * Appends every float sample of `request` in one batch and commits it.
 *
 * @throws VigilError with the storage's code (`SAMPLE_OUT_OF_ORDER`,
 *   `SAMPLE_DUPLICATE`, `SAMPLE_OUT_OF_BOUNDS`, `SERIES_LABELS_INVALID`)
 *   after rolling the whole batch back; whatever `commit()` throws (the
 *   batch is then not stored either).
 *
 * May run concurrently with other calls; each uses its own appender.
 */
export async function applyWriteRequest(
  appendable: Appendable,
  request: DecodedWriteRequest,
): Promise<RemoteWriteOutcome> {
  const prepared = prepareSeries(request);
  const outcome: RemoteWriteOutcome = {
    seriesCount: prepared.length,
    sampleCount: request.sampleCount,
    exemplarCount: request.exemplarCount,
    histogramCount: request.histogramCount,
    metadataCount: request.metadataCount,
  };
  if (request.sampleCount === 0) return outcome;
  const appender = appendable.appender();
  const { timestamps, values } = request;
  for (const s of prepared) {
    let ref = 0;
    for (let i = s.start; i < s.end; i++) {
      try {
        // values[i] goes straight from the Float64Array to the call: its bits survive.
        ref = appender.append(ref, s.labels, timestamps[i]!, values[i]!);
      } catch (err) {
        appender.rollback();
        if (!isVigilError(err)) throw err;
        throw new VigilError(
          err.code,
          `Sample at ${timestamps[i]} of series ${describeLabels(s.labels)} was refused: ${err.message} Nothing of the request was written.`,
          { cause: err, details: { timestampMs: timestamps[i], ...err.details } },
        );
      }
    }
  }
  await appender.commit();
  return outcome;
}

function describeLabels(labels: SeriesLabels): string {
  const text = JSON.stringify(labelsToRecord(labels));
  return text.length > 200 ? text.slice(0, 200) + '…' : text;
}
