/**
 * Shared pieces of the benchmarks: a figure as SPEC §11 prints it, medians of rounds, and
 * percentiles. Each benchmark module exports `name` and `run()` returning its figures;
 * bench/run.ts prints them as one JSON line each, last.
 */

export interface Figure {
  bench: string;
  value: number;
  unit: string;
  baseline?: string;
  baseline_value?: number;
  /** Ours over the baseline, higher is better (for latencies: baseline over ours). */
  ratio?: number;
  /** Extra figures reported beside the main one (p50/p99, sizes). */
  extra?: Record<string, number | string>;
}

export interface Benchmark {
  name: string;
  run(): Promise<Figure[]>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A throughput figure: ours and the baseline in the same unit, ratio ours/baseline. */
export function throughput(
  bench: string,
  unit: string,
  ours: number,
  baseline: string,
  base: number,
): Figure {
  return {
    bench,
    value: round(ours, 1),
    unit,
    baseline,
    baseline_value: round(base, 1),
    ratio: round(ours / base),
  };
}

/** A latency figure: ratio baseline/ours, so higher is better. */
export function latency(bench: string, unit: string, ours: number, baseline: string, base: number): Figure {
  return {
    bench,
    value: round(ours),
    unit,
    baseline,
    baseline_value: round(base),
    ratio: round(base / ours),
  };
}

/** Progress on stderr, so stdout ends with the JSON lines only. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function hrtimeMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
