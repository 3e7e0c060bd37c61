/**
 * A small mutable label set for relabelling and target building.
 *
 * @module
 */
import { compareStrings } from '@vigil/storage';
import type { SeriesLabels } from '@vigil/storage';

/**
 * A mutable set of labels, kept as two parallel unsorted arrays. Setting a
 * label to `''` deletes it (Prometheus treats an empty value as absence).
 * Cheap for the handful of labels a series carries: lookups are linear
 * scans, which beat hashing for sets of a few dozen labels.
 *
 * Not shared between callers; one builder per relabelling at a time.
 */
export class LabelsBuilder {
  private names: string[] = [];
  private values: string[] = [];

  /** A builder holding `labels` (flat `[name, value, ...]`, any order; empty values dropped). */
  constructor(labels?: readonly string[]) {
    if (labels !== undefined) this.reset(labels);
  }

  /** Replaces the content with `labels` (flat pairs, any order; empty values dropped). */
  reset(labels: readonly string[]): this {
    this.names.length = 0;
    this.values.length = 0;
    for (let i = 0; i + 1 < labels.length; i += 2) {
      const value = labels[i + 1]!;
      if (value !== '') this.set(labels[i]!, value);
    }
    return this;
  }

  /** Number of labels. */
  get size(): number {
    return this.names.length;
  }

  /** The value of `name`, or `''` when absent. */
  get(name: string): string {
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return this.values[i]!;
    return '';
  }

  /** True when the label is present. */
  has(name: string): boolean {
    return this.names.indexOf(name) >= 0;
  }

  /** Sets `name` to `value`; an empty value deletes the label. */
  set(name: string, value: string): void {
    if (value === '') {
      this.del(name);
      return;
    }
    const i = this.names.indexOf(name);
    if (i >= 0) this.values[i] = value;
    else {
      this.names.push(name);
      this.values.push(value);
    }
  }

  /** Deletes `name` if present. */
  del(name: string): void {
    const i = this.names.indexOf(name);
    if (i < 0) return;
    const last = this.names.length - 1;
    this.names[i] = this.names[last]!;
    this.values[i] = this.values[last]!;
    this.names.length = last;
    this.values.length = last;
  }

  /**
   * A snapshot of the names (a copy, so callers may modify the builder
   * while iterating over it).
   */
  nameList(): string[] {
    return this.names.slice();
  }

  /** The labels as sorted {@link SeriesLabels} (a new array). */
  labels(): SeriesLabels {
    const n = this.names.length;
    const order: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const names = this.names;
    order.sort((a, b) => compareStrings(names[a]!, names[b]!));
    const out = new Array<string>(2 * n);
    for (let i = 0; i < n; i++) {
      out[2 * i] = names[order[i]!]!;
      out[2 * i + 1] = this.values[order[i]!]!;
    }
    return out;
  }
}
