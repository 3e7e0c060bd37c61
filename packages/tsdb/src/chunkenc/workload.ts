/**
 * A deterministic, realistic scrape workload for benchmarks: the series of
 * node-exporter-like and HTTP-RED-like targets and the values they would
 * expose scrape after scrape. Same options and seed, same samples, on every
 * machine.
 *
 * What makes it realistic for compression: most node-exporter series are
 * constant or change rarely (sizes, info metrics, error counters that stay
 * at 0), counters grow by varying increments (CPU seconds in 1/100 s ticks,
 * bytes in whole numbers, disk I/O in 512-byte sectors), some gauges are
 * noisy (memory, load, temperatures) and a few values carry full float
 * entropy (durations, histogram sums). HTTP-RED targets expose request
 * counters per route and status, and histograms (cumulative buckets,
 * `_sum`, `_count`).
 *
 * @module
 */

/** Options of a {@link ScrapeWorkload}. All have defaults. */
export interface ScrapeWorkloadOptions {
  /** Seed of the generator (any 32-bit integer). Default 1. */
  readonly seed?: number;
  /** Node-exporter-like targets. Default 1. */
  readonly nodeTargets?: number;
  /** HTTP service targets (requests, histograms, process metrics). Default 1. */
  readonly httpTargets?: number;
  /** Scrape interval in ms. Default 15 000. */
  readonly intervalMs?: number;
  /**
   * Timestamp jitter in ms: each scrape's timestamp is off its slot by a
   * uniform integer in `[-jitterMs, +jitterMs]`. 0 (the default) gives
   * aligned timestamps, as the scraper writes them.
   */
  readonly jitterMs?: number;
  /** Time of the first scrape in ms. Default 1 764 000 000 000 (late 2025). */
  readonly startMs?: number;
}

/** One series of the workload. */
export interface WorkloadSeries {
  /** Sorted flat labels `[name, value, ...]` including `__name__` (see `SeriesLabels`). */
  readonly labels: readonly string[];
  /** Index of the target (0-based, node targets first) the series belongs to. */
  readonly target: number;
  /**
   * How the generator evolves the series' value (for per-kind figures in
   * benchmarks): `constant`, `int-counter`, `rare-counter`, `tick-counter`,
   * `walk-gauge`, `small-gauge`, `rounded-gauge`, `noisy-gauge`,
   * `sum-counter`, `hist-bucket`, `hist-sum` or `hist-count`.
   */
  readonly kind: string;
}

/** A Mulberry32 generator of 32-bit values, deterministic for a seed. */
class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** A uniform number in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An approximately Poisson-distributed count with mean `mean`. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) {
      // Normal approximation.
      const u = this.next() || 1e-12;
      const v = this.next();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
    }
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
}

/** How a series' value evolves; see {@link step}. */
const enum Kind {
  /** Never changes. */
  Constant,
  /** Counter of integer units; grows by Poisson(rate) units per scrape, times `scale`. */
  IntCounter,
  /** Counter that usually stays, sometimes jumps by a few units (errors, drops). */
  RareCounter,
  /** Counter in 1/100 s ticks (CPU seconds): grows by ~rate ticks per scrape. */
  TickCounter,
  /** Integer gauge doing a random walk in multiples of `scale` around a level. */
  WalkGauge,
  /** Small integer gauge jumping around a level (running processes, connections). */
  SmallGauge,
  /** Gauge rounded to `scale` (load average to 0.01, temperatures to 1). */
  RoundedGauge,
  /** Full-entropy float gauge (durations, lag). */
  NoisyGauge,
  /** Float counter of summed durations (`_sum`, CPU seconds): full-entropy increments. */
  SumCounter,
  /** Bucket `b` of histogram `group` (cumulative count); bucket 0 draws the scrape's requests. */
  HistBucket,
  /** `_sum` of histogram `group`. */
  HistSum,
  /** `_count` of histogram `group`. */
  HistCount,
}

/** The names of the {@link Kind}s, by value (see {@link WorkloadSeries.kind}). */
const KIND_NAMES = [
  'constant',
  'int-counter',
  'rare-counter',
  'tick-counter',
  'walk-gauge',
  'small-gauge',
  'rounded-gauge',
  'noisy-gauge',
  'sum-counter',
  'hist-bucket',
  'hist-sum',
  'hist-count',
] as const;

/**
 * One histogram's state: requests per scrape are Poisson(rate); each falls
 * in a bucket by a fixed latency distribution, so buckets stay cumulative
 * and `_count` equals the `+Inf` bucket.
 */
class HistogramGroup {
  /** Cumulative count per bucket (the last is `+Inf`). */
  readonly cumulative: Float64Array;
  sum: number;
  count: number;
  /** Requests per bucket (not cumulative) of the current scrape. */
  private readonly increments: Float64Array;
  constructor(
    /** Mean requests per scrape. */
    private readonly rate: number,
    /** Probability of each bucket (not cumulative), summing to 1. */
    private readonly shares: readonly number[],
    /** Upper bounds of the buckets in seconds (finite ones). */
    private readonly bounds: readonly number[],
    start: number,
  ) {
    this.cumulative = new Float64Array(shares.length);
    this.increments = new Float64Array(shares.length);
    let c = 0;
    for (let i = 0; i < shares.length; i++) {
      c += Math.round(start * shares[i]!);
      this.cumulative[i] = c;
    }
    this.count = c;
    this.sum = c * 0.05;
  }
  advance(r: Rng): void {
    const events = r.poisson(this.rate * (0.7 + 0.6 * r.next()));
    const inc = this.increments;
    inc.fill(0);
    let add = 0;
    // Draw up to 64 requests one by one: a bucket, then a latency inside it.
    const drawn = Math.min(events, 64);
    for (let e = 0; e < drawn; e++) {
      let u = r.next();
      let k = 0;
      while (k < this.shares.length - 1 && u >= this.shares[k]!) u -= this.shares[k++]!;
      inc[k] = inc[k]! + 1;
      const lowS = k === 0 ? 0 : this.bounds[k - 1]!;
      const highS = k < this.bounds.length ? this.bounds[k]! : lowS * 2;
      add += lowS + r.next() * (highS - lowS);
    }
    // The rest in proportion to the shares, at each bucket's middle latency.
    let rest = events - drawn;
    for (let k = 0; k < inc.length && rest > 0; k++) {
      const m =
        k === inc.length - 1
          ? rest
          : Math.min(rest, Math.round((events - drawn) * this.shares[k]!));
      inc[k] = inc[k]! + m;
      rest -= m;
      const lowS = k === 0 ? 0 : this.bounds[k - 1]!;
      const highS = k < this.bounds.length ? this.bounds[k]! : lowS * 2;
      add += (m * (lowS + highS)) / 2;
    }
    // A request counts in its bucket and every bucket above it.
    let c = 0;
    for (let k = 0; k < inc.length; k++) {
      c += inc[k]!;
      this.cumulative[k] = this.cumulative[k]! + c;
    }
    this.count += c;
    this.sum += add;
  }
}

interface SeriesState {
  kind: Kind;
  value: number;
  /** Kind-specific rate, level or spread. */
  a: number;
  /** Kind-specific unit or scale. */
  b: number;
  /** Integer state (ticks) where the kind needs it. */
  n: number;
  /** The histogram of the Hist* kinds. */
  group: HistogramGroup | null;
}

/**
 * The workload: a fixed list of series and, scrape by scrape, their
 * timestamps and values. Not safe for concurrent use; build one per user.
 */
export class ScrapeWorkload {
  /** All series, in a fixed order (the order of the arrays {@link scrape} fills). */
  readonly series: readonly WorkloadSeries[];
  private readonly states: SeriesState[] = [];
  private readonly targetCount: number;
  private readonly rng: Rng;
  private readonly intervalMs: number;
  private readonly jitterMs: number;
  private readonly startMs: number;
  /** Per-target slot offset within the interval, as a scraper spreads targets. */
  private readonly offsetsMs: number[] = [];
  private readonly targetOf: Int32Array;
  private scrapes = 0;

  constructor(options: ScrapeWorkloadOptions = {}) {
    this.rng = new Rng(options.seed ?? 1);
    this.intervalMs = options.intervalMs ?? 15_000;
    this.jitterMs = options.jitterMs ?? 0;
    this.startMs = options.startMs ?? 1_764_000_000_000;
    const nodeTargets = options.nodeTargets ?? 1;
    const httpTargets = options.httpTargets ?? 1;
    const series: WorkloadSeries[] = [];
    const targets: number[] = [];
    let target = 0;
    for (let i = 0; i < nodeTargets; i++, target++) {
      this.addNodeTarget(series, target, `node-${i}:9100`);
    }
    for (let i = 0; i < httpTargets; i++, target++) {
      this.addHttpTarget(series, target, `app-${i}:8080`);
    }
    this.targetCount = target;
    for (let i = 0; i < target; i++) this.offsetsMs.push(this.rng.int(this.intervalMs));
    for (const s of series) targets.push(s.target);
    this.series = series;
    this.targetOf = Int32Array.from(targets);
  }

  /** Number of series (the length {@link scrape}'s arrays need). */
  get numSeries(): number {
    return this.series.length;
  }

  /**
   * Advances by one scrape interval and writes, for every series `i`, the
   * scrape's timestamp (ms) to `timestamps[i]` and its value to `values[i]`.
   */
  scrape(timestamps: Float64Array, values: Float64Array): void {
    const rng = this.rng;
    const slot = this.startMs + this.scrapes * this.intervalMs;
    this.scrapes++;
    const jitter = this.jitterMs;
    const times = new Float64Array(this.targetCount);
    for (let t = 0; t < this.targetCount; t++) {
      times[t] = slot + this.offsetsMs[t]! + (jitter > 0 ? rng.int(2 * jitter + 1) - jitter : 0);
    }
    const states = this.states;
    for (let i = 0; i < states.length; i++) {
      timestamps[i] = times[this.targetOf[i]!]!;
      values[i] = step(states[i]!, rng);
    }
  }

  /**
   * Convenience for chunk benchmarks: `samples` scrapes of every series, as
   * one timestamps array and one values array per series.
   */
  samplesPerSeries(samples: number): { timestamps: Float64Array; values: Float64Array }[] {
    const n = this.numSeries;
    const out: { timestamps: Float64Array; values: Float64Array }[] = [];
    for (let i = 0; i < n; i++) {
      out.push({ timestamps: new Float64Array(samples), values: new Float64Array(samples) });
    }
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    for (let k = 0; k < samples; k++) {
      this.scrape(ts, vs);
      for (let i = 0; i < n; i++) {
        const o = out[i]!;
        o.timestamps[k] = ts[i]!;
        o.values[k] = vs[i]!;
      }
    }
    return out;
  }

  private add(
    out: WorkloadSeries[],
    target: number,
    instance: string,
    job: string,
    name: string,
    labels: Record<string, string>,
    kind: Kind,
    value: number,
    a = 0,
    b = 1,
    group: HistogramGroup | null = null,
  ): void {
    const all: Record<string, string> = { ...labels, __name__: name, instance, job };
    const flat: string[] = [];
    for (const k of Object.keys(all).sort()) flat.push(k, all[k]!);
    out.push({ labels: flat, target, kind: KIND_NAMES[kind] });
    this.states.push({ kind, value, a, b, n: Math.round(value * 100), group });
  }

  private addNodeTarget(out: WorkloadSeries[], target: number, instance: string): void {
    const r = this.rng;
    const add = (
      name: string,
      labels: Record<string, string>,
      kind: Kind,
      value: number,
      a?: number,
      b?: number,
    ): void => this.add(out, target, instance, 'node', name, labels, kind, value, a, b);
    add('up', {}, Kind.Constant, 1);
    add('node_boot_time_seconds', {}, Kind.Constant, 1_763_000_000 + r.int(1_000_000));
    add('node_uname_info', { release: '6.1.0-27-amd64', machine: 'x86_64' }, Kind.Constant, 1);
    add('scrape_duration_seconds', {}, Kind.NoisyGauge, 0.02, 0.01);
    add('scrape_samples_scraped', {}, Kind.Constant, 900);
    // CPU: 8 cpus x 8 modes, seconds in 1/100 s ticks.
    const modes: [string, number][] = [
      ['idle', 1300],
      ['user', 120],
      ['system', 50],
      ['iowait', 8],
      ['irq', 0.2],
      ['softirq', 5],
      ['nice', 0.05],
      ['steal', 0],
    ];
    for (let cpu = 0; cpu < 8; cpu++) {
      for (const [mode, rate] of modes) {
        const labels = { cpu: String(cpu), mode };
        const start = (r.int(50_000_000) + 1_000_000) / 100;
        if (rate === 0) add('node_cpu_seconds_total', labels, Kind.Constant, 0);
        else
          add('node_cpu_seconds_total', labels, Kind.TickCounter, start, rate * (0.5 + r.next()));
      }
      add('node_cpu_scaling_frequency_hertz', { cpu: String(cpu) }, Kind.WalkGauge, 2.8e9, 4, 1e8);
      add('node_cpu_frequency_max_hertz', { cpu: String(cpu) }, Kind.Constant, 4.2e9);
    }
    add('node_load1', {}, Kind.RoundedGauge, 1.2, 0.3, 0.01);
    add('node_load5', {}, Kind.RoundedGauge, 1.1, 0.1, 0.01);
    add('node_load15', {}, Kind.RoundedGauge, 1.0, 0.05, 0.01);
    add('node_procs_running', {}, Kind.SmallGauge, 3, 3);
    add('node_procs_blocked', {}, Kind.SmallGauge, 0, 1);
    add('node_context_switches_total', {}, Kind.IntCounter, 8e9, 150_000, 1);
    add('node_intr_total', {}, Kind.IntCounter, 5e9, 90_000, 1);
    add('node_forks_total', {}, Kind.IntCounter, 3e6, 40, 1);
    // Memory: ~45 gauges, a third constant, the rest in 4 KiB pages or 1 KiB.
    for (let m = 0; m < 45; m++) {
      const name = `node_memory_M${m}_bytes`;
      if (m % 3 === 0) add(name, {}, Kind.Constant, (1 + r.int(64)) * 1024 * 1024 * 1024);
      else if (m % 3 === 1) add(name, {}, Kind.WalkGauge, r.int(4_000_000) * 4096, 200, 4096);
      else add(name, {}, Kind.WalkGauge, r.int(1_000_000) * 1024, 5, 1024);
    }
    // Network: 4 interfaces x 16 counters (bytes, packets busy; errors, drops rare).
    for (const device of ['eth0', 'eth1', 'lo', 'docker0']) {
      const busy = device === 'eth0' ? 1 : device === 'lo' ? 0.3 : 0.02;
      for (const dir of ['receive', 'transmit']) {
        add(
          `node_network_${dir}_bytes_total`,
          { device },
          Kind.IntCounter,
          r.int(1e12),
          3e6 * busy,
          1,
        );
        add(
          `node_network_${dir}_packets_total`,
          { device },
          Kind.IntCounter,
          r.int(1e9),
          3e3 * busy,
          1,
        );
        for (const c of ['errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast']) {
          add(`node_network_${dir}_${c}_total`, { device }, Kind.RareCounter, r.int(100), 0.01);
        }
      }
      add('node_network_up', { device }, Kind.Constant, 1);
      add('node_network_mtu_bytes', { device }, Kind.Constant, 1500);
      add('node_network_speed_bytes', { device }, Kind.Constant, 125_000_000);
    }
    // Disks: 4 devices x 12 counters; sectors of 512 bytes, ms of I/O time.
    for (const device of ['nvme0n1', 'nvme1n1', 'sda', 'dm-0']) {
      const busy = device === 'sda' ? 0.05 : 1;
      for (const op of ['read', 'written']) {
        add(
          `node_disk_${op}_bytes_total`,
          { device },
          Kind.IntCounter,
          r.int(1e9) * 512,
          400 * busy,
          512,
        );
        add(
          `node_disk_${op === 'read' ? 'reads' : 'writes'}_completed_total`,
          { device },
          Kind.IntCounter,
          r.int(1e8),
          50 * busy,
          1,
        );
        add(
          `node_disk_${op === 'read' ? 'read' : 'write'}_time_seconds_total`,
          { device },
          Kind.TickCounter,
          r.int(1e7) / 100,
          3 * busy,
        );
        add(
          `node_disk_${op === 'read' ? 'reads' : 'writes'}_merged_total`,
          { device },
          Kind.IntCounter,
          r.int(1e7),
          5 * busy,
          1,
        );
      }
      add(
        'node_disk_io_time_seconds_total',
        { device },
        Kind.TickCounter,
        r.int(1e7) / 100,
        20 * busy,
      );
      add('node_disk_io_now', { device }, Kind.SmallGauge, 0, 1);
      add('node_disk_discards_completed_total', { device }, Kind.RareCounter, r.int(1000), 0.02);
      add('node_disk_flush_requests_total', { device }, Kind.IntCounter, r.int(1e6), 2 * busy, 1);
    }
    // Filesystems: 6 mounts x 7 gauges; sizes constant, free space walks.
    for (let f = 0; f < 6; f++) {
      const labels = { mountpoint: `/mnt/fs${f}`, fstype: 'ext4', device: `/dev/sd${f}` };
      const size = (10 + r.int(2000)) * 1024 * 1024 * 1024;
      add('node_filesystem_size_bytes', labels, Kind.Constant, size);
      add(
        'node_filesystem_free_bytes',
        labels,
        Kind.WalkGauge,
        Math.floor(size / 8192) * 4096,
        f === 0 ? 50 : 0.5,
        4096,
      );
      add(
        'node_filesystem_avail_bytes',
        labels,
        Kind.WalkGauge,
        Math.floor(size / 9000) * 4096,
        f === 0 ? 50 : 0.5,
        4096,
      );
      add('node_filesystem_files', labels, Kind.Constant, 6_553_600);
      add('node_filesystem_files_free', labels, Kind.WalkGauge, 6_000_000, f === 0 ? 5 : 0.2, 1);
      add('node_filesystem_readonly', labels, Kind.Constant, 0);
      add('node_filesystem_device_error', labels, Kind.Constant, 0);
    }
    // vmstat and netstat: ~80 counters, a mix of busy, slow and rare.
    for (let v = 0; v < 80; v++) {
      const name = v < 40 ? `node_vmstat_v${v}` : `node_netstat_n${v}`;
      const kind = v % 4;
      if (kind === 0) add(name, {}, Kind.IntCounter, r.int(1e10), 10 + r.int(10_000), 1);
      else if (kind === 1) add(name, {}, Kind.IntCounter, r.int(1e6), r.next() * 3, 1);
      else if (kind === 2) add(name, {}, Kind.RareCounter, r.int(1e4), 0.02);
      else add(name, {}, Kind.Constant, r.int(1e6));
    }
    // Guest CPU time (always 0 on a host without VMs), scheduler and softnet statistics.
    for (let cpu = 0; cpu < 8; cpu++) {
      const labels = { cpu: String(cpu) };
      add('node_cpu_guest_seconds_total', { ...labels, mode: 'user' }, Kind.Constant, 0);
      add('node_cpu_guest_seconds_total', { ...labels, mode: 'nice' }, Kind.Constant, 0);
      add(
        'node_schedstat_running_seconds_total',
        labels,
        Kind.SumCounter,
        r.next() * 1e5,
        40,
        0.05,
      );
      add(
        'node_schedstat_waiting_seconds_total',
        labels,
        Kind.SumCounter,
        r.next() * 1e4,
        40,
        0.002,
      );
      add('node_schedstat_timeslices_total', labels, Kind.IntCounter, r.int(1e9), 2000, 1);
      add('node_softnet_processed_total', labels, Kind.IntCounter, r.int(1e8), 300, 1);
      add('node_softnet_dropped_total', labels, Kind.RareCounter, 0, 0.001);
      add('node_softnet_times_squeezed_total', labels, Kind.RareCounter, r.int(100), 0.02);
    }
    // The exporter's own metrics: collectors, Go runtime, process, handler.
    for (let c = 0; c < 40; c++) {
      const labels = { collector: `c${c}` };
      add('node_scrape_collector_success', labels, Kind.Constant, 1);
      add(
        'node_scrape_collector_duration_seconds',
        labels,
        Kind.NoisyGauge,
        0.001 * (1 + r.int(20)),
        0.0005,
      );
    }
    add('go_goroutines', {}, Kind.SmallGauge, 8, 1);
    add('go_threads', {}, Kind.Constant, 9);
    add('go_info', { version: 'go1.22.4' }, Kind.Constant, 1);
    for (let g = 0; g < 26; g++) {
      const name = `go_memstats_m${g}`;
      if (g % 3 === 0) add(name, {}, Kind.WalkGauge, 3_000_000 + r.int(1_000_000), 20_000, 8);
      else if (g % 3 === 1) add(name, {}, Kind.IntCounter, r.int(1e9), 1 + r.int(50_000), 1);
      else add(name, {}, Kind.Constant, r.int(1e7));
    }
    for (const quantile of ['0', '0.25', '0.5', '0.75', '1']) {
      add('go_gc_duration_seconds', { quantile }, Kind.NoisyGauge, 0.0001, 0.00005);
    }
    add('go_gc_duration_seconds_sum', {}, Kind.SumCounter, r.next() * 10, 0.5, 0.0001);
    add('go_gc_duration_seconds_count', {}, Kind.IntCounter, r.int(10_000), 0.5, 1);
    add('process_cpu_seconds_total', {}, Kind.TickCounter, r.int(1e6) / 100, 2);
    add('process_resident_memory_bytes', {}, Kind.WalkGauge, 5000 * 4096, 30, 4096);
    add('process_virtual_memory_bytes', {}, Kind.Constant, 1_300_000_000);
    add('process_open_fds', {}, Kind.SmallGauge, 10, 1);
    add('process_max_fds', {}, Kind.Constant, 1_048_576);
    add('process_start_time_seconds', {}, Kind.Constant, 1_763_000_000 + r.int(1e6));
    add(
      'promhttp_metric_handler_requests_total',
      { code: '200' },
      Kind.IntCounter,
      r.int(1e6),
      1,
      1,
    );
    add('promhttp_metric_handler_requests_total', { code: '500' }, Kind.Constant, 0);
    add('promhttp_metric_handler_requests_total', { code: '503' }, Kind.Constant, 0);
    add('node_filefd_allocated', {}, Kind.SmallGauge, 2000, 20);
    add('node_filefd_maximum', {}, Kind.Constant, 9.223372036854776e18);
    add('node_nf_conntrack_entries', {}, Kind.SmallGauge, 300, 30);
    add('node_nf_conntrack_entries_limit', {}, Kind.Constant, 262_144);
    add('node_textfile_scrape_error', {}, Kind.Constant, 0);
    // Sensors and sockets.
    for (let s = 0; s < 10; s++) {
      add(
        'node_hwmon_temp_celsius',
        { sensor: `temp${s}` },
        Kind.RoundedGauge,
        40 + r.int(30),
        1,
        1,
      );
    }
    add('node_sockstat_TCP_inuse', {}, Kind.SmallGauge, 120, 20);
    add('node_sockstat_sockets_used', {}, Kind.SmallGauge, 900, 40);
    add('node_timex_offset_seconds', {}, Kind.NoisyGauge, 0.0001, 0.00005);
    add('node_entropy_available_bits', {}, Kind.Constant, 256);
  }

  private addHttpTarget(out: WorkloadSeries[], target: number, instance: string): void {
    const r = this.rng;
    const add = (
      name: string,
      labels: Record<string, string>,
      kind: Kind,
      value: number,
      a?: number,
      b?: number,
      group?: HistogramGroup,
    ): void =>
      this.add(out, target, instance, 'app', name, labels, kind, value, a, b, group ?? null);
    add('up', {}, Kind.Constant, 1);
    add('scrape_duration_seconds', {}, Kind.NoisyGauge, 0.005, 0.002);
    // Routes with a long-tailed request rate (a few busy, most quiet).
    const routes = [
      '/users',
      '/users/:id',
      '/orders',
      '/orders/:id',
      '/login',
      '/search',
      '/cart',
      '/cart/items',
      '/products',
      '/products/:id',
      '/admin/reports',
      '/health',
    ];
    const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    const les = [...bounds.map(String), '+Inf'];
    routes.forEach((route, rank) => {
      const rps = route === '/health' ? 0.2 : 40 / (rank + 1) ** 1.2;
      for (const method of route.endsWith(':id') ? ['GET', 'PUT', 'DELETE'] : ['GET', 'POST']) {
        const share = method === 'GET' ? 0.8 : 0.1;
        for (const [status, frac] of [
          ['200', 0.95],
          ['404', 0.03],
          ['500', 0.003],
        ] as const) {
          add(
            'http_requests_total',
            { route, method, status },
            Kind.IntCounter,
            r.int(1e6),
            rps * share * frac * 15,
            1,
          );
        }
        // A latency distribution centred on a route-specific bucket.
        const centre = 2 + r.int(4);
        const weights = les.map((_, k) => Math.exp(-Math.abs(k - centre) * 1.3));
        const total = weights.reduce((x, y) => x + y, 0);
        const group = new HistogramGroup(
          rps * share * 15,
          weights.map((x) => x / total),
          bounds,
          r.int(1e6),
        );
        les.forEach((le, k) => {
          add(
            'http_request_duration_seconds_bucket',
            { route, method, le },
            Kind.HistBucket,
            0,
            0,
            k,
            group,
          );
        });
        add('http_request_duration_seconds_sum', { route, method }, Kind.HistSum, 0, 0, 1, group);
        add(
          'http_request_duration_seconds_count',
          { route, method },
          Kind.HistCount,
          0,
          0,
          1,
          group,
        );
      }
    });
    add('process_cpu_seconds_total', {}, Kind.SumCounter, 1000 + r.next() * 1000, 1, 0.3);
    add('process_resident_memory_bytes', {}, Kind.WalkGauge, 150_000 * 4096, 100, 4096);
    add('process_open_fds', {}, Kind.SmallGauge, 40, 5);
    add('process_start_time_seconds', {}, Kind.Constant, 1_763_500_000);
    add('nodejs_heap_size_used_bytes', {}, Kind.WalkGauge, 40_000_000, 200_000, 8);
    add('nodejs_heap_size_total_bytes', {}, Kind.WalkGauge, 60_000_000, 50, 65536);
    add('nodejs_eventloop_lag_seconds', {}, Kind.NoisyGauge, 0.002, 0.001);
    add('nodejs_active_handles', {}, Kind.SmallGauge, 20, 4);
    add('nodejs_version_info', { version: 'v20.20.2' }, Kind.Constant, 1);
    add('db_pool_connections', { state: 'idle' }, Kind.SmallGauge, 5, 3);
    add('db_pool_connections', { state: 'used' }, Kind.SmallGauge, 2, 2);
  }
}

/** The next value of a series. */
function step(s: SeriesState, r: Rng): number {
  switch (s.kind) {
    case Kind.Constant:
      return s.value;
    case Kind.IntCounter: {
      // Rates drift a little, so increments vary between scrapes.
      s.value += r.poisson(s.a * (0.7 + 0.6 * r.next())) * s.b;
      return s.value;
    }
    case Kind.RareCounter:
      if (r.next() < s.a) s.value += 1 + r.int(3);
      return s.value;
    case Kind.TickCounter:
      s.n += r.poisson(s.a);
      s.value = s.n / 100;
      return s.value;
    case Kind.WalkGauge: {
      // a: typical step in units of b; b: the unit.
      const units = Math.round((r.next() - 0.5) * 2 * s.a);
      if (r.next() < 0.7) s.value = Math.max(0, s.value + units * s.b);
      return s.value;
    }
    case Kind.SmallGauge: {
      const v = Math.max(0, Math.round(s.value + (r.next() - 0.5) * 2 * s.a));
      return v;
    }
    case Kind.RoundedGauge: {
      // Rounded as a parser reads a decimal: 1.23 is the double nearest 1.23.
      const x = s.value + (r.next() - 0.5) * 2 * s.a;
      if (s.b >= 1) return Math.round(x / s.b) * s.b;
      const inv = Math.round(1 / s.b);
      return Math.round(x * inv) / inv;
    }
    case Kind.NoisyGauge:
      return Math.max(0, s.value + (r.next() - 0.5) * 2 * s.a);
    case Kind.HistBucket: {
      const g = s.group!;
      if (s.b === 0) g.advance(r);
      return g.cumulative[s.b]!;
    }
    case Kind.HistSum:
      return s.group!.sum;
    case Kind.HistCount:
      return s.group!.count;
    case Kind.SumCounter: {
      // a: events per scrape; b: mean seconds per event.
      const events = r.poisson(s.a);
      for (let e = 0; e < Math.min(events, 8); e++) s.value += r.next() * 2 * s.b;
      if (events > 8) s.value += (events - 8) * s.b * (0.5 + r.next());
      return s.value;
    }
  }
}
