/*
 * Robust daily baselines and the days that depart from them (spend_anomalies). Pure arithmetic over
 * daily series, so it is tested and measured without any HTTP.
 *
 * A group's baseline for a day is the median of its own trailing 28 days of the same kind (weekdays
 * for a weekday, weekend days for a weekend day: most traffic drops at weekends), and its spread is
 * the median absolute deviation. A day is anomalous when it is at least FACTOR times the baseline,
 * at least Z robust deviations above it, and its excess is at least the caller's minimum. Medians
 * ignore a few spikes in the history, so one anomaly does not hide the next. Consecutive anomalous
 * days are one anomaly (a level that jumped is one story, not ten), told at its largest day.
 */

export const HISTORY_DAYS = 28;
/**
 * Values this many times the baseline or more can be anomalies. Below it, a day is as likely a
 * workload's ordinary busy day (backfills, launches: up to about 2.5×) as anything worth a look.
 */
export const FACTOR = 2;
/** Robust deviations (1.4826 × MAD, at least 5% of the baseline) the excess must reach. */
export const Z = 4;
/** Too little history to judge: a group seen on fewer earlier days is judged only as new. */
const MIN_HISTORY = 7;

/**
 * A key's, model's or line item's excess counts only where its projects' own totals rose by at least
 * this share of it: when traffic moves from one key (or model) to another, one group jumps while its
 * project spends what it did, and nobody's spend went up.
 */
export const KEPT = 0.5;

export const METHOD = `median and MAD of the group's own trailing ${HISTORY_DAYS} days, weekdays and weekends apart; anomalous at ≥ ${FACTOR}× the median and ≥ ${Z} robust deviations; consecutive days merged`;
/** What the method line adds for a grouping below the project. */
export const SHIFT_METHOD = `a jump its projects' totals did not share (≥ ${KEPT * 100}% of it) is spend that moved, counted as shifted`;

const DAY = 86_400;

export interface Baseline {
  median: number;
  sigma: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export const isWeekend = (dayStart: number): boolean => {
  const weekday = (Math.floor(dayStart / DAY) + 4) % 7; // 1970-01-01 was a Thursday
  return weekday === 0 || weekday === 6;
};

/**
 * The baseline of `values[i]` from `values[from..i-1]` (at most HISTORY_DAYS back): the same kind of
 * day where there are at least three of them, else every day.
 */
export function baselineAt(values: ArrayLike<number>, days: readonly number[], i: number, from = 0): Baseline {
  const start = Math.max(from, i - HISTORY_DAYS);
  const weekend = isWeekend(days[i] as number);
  const same: number[] = [];
  const all: number[] = [];
  for (let j = start; j < i; j++) {
    const v = values[j] as number;
    all.push(v);
    if (isWeekend(days[j] as number) === weekend) same.push(v);
  }
  const pool = same.length >= 3 ? same : all;
  const m = median(pool);
  const mad = median(pool.map((v) => Math.abs(v - m)));
  return { median: m, sigma: Math.max(1.4826 * mad, 0.05 * m) };
}

export interface Finding {
  kind: 'spike' | 'new';
  /** Index of the first day of the anomaly, and of its largest day (where value and drivers are read). */
  first: number;
  peak: number;
  last: number;
  value: number;
  baseline: number;
  excess: number;
}

/**
 * The anomalies of one group's daily series within days [start, end): spikes, and the first spend of
 * a group with no earlier history (`new`, never an infinite factor). `minExcess` is in the series' unit.
 */
export function detect(values: ArrayLike<number>, days: readonly number[], start: number, end: number, minExcess: number): Finding[] {
  let seen = -1;
  for (let j = 0; j < end; j++) {
    if ((values[j] as number) > 0) {
      seen = j;
      break;
    }
  }
  if (seen < 0) return [];
  const out: Finding[] = [];
  let run: Finding | undefined;
  for (let i = Math.max(start, seen); i < end; i++) {
    const value = values[i] as number;
    if (i === seen) {
      // Spend where the group had none at all before: new, judged on its size alone.
      if (value >= minExcess) out.push({ kind: 'new', first: i, peak: i, last: i, value, baseline: 0, excess: value });
      continue;
    }
    if (i - seen < MIN_HISTORY) continue;
    const { median: base, sigma } = baselineAt(values, days, i, seen);
    const excess = value - base;
    const anomalous = value >= FACTOR * base && excess >= Z * sigma && excess >= minExcess && excess > 0;
    if (!anomalous) {
      run = undefined;
      continue;
    }
    if (run && run.last === i - 1) {
      run.last = i;
      if (excess > run.excess) Object.assign(run, { peak: i, value, baseline: base, excess });
      continue;
    }
    run = { kind: 'spike', first: i, peak: i, last: i, value, baseline: base, excess };
    out.push(run);
  }
  return out;
}

export interface Driver {
  dimension: string;
  name: string;
  /** Part of the group's excess on the day this one explains (0–1). */
  share: number;
}

/**
 * What explains a group's excess on day i: for each breakdown (keys, models, line items), each part's
 * own excess over its own baseline, as a share of the group's. The largest parts of each breakdown
 * until they explain 80% of the excess (at most two each), largest first.
 */
export function drivers(breakdowns: ReadonlyMap<string, ReadonlyMap<string, ArrayLike<number>>>, days: readonly number[], i: number, excess: number): Driver[] {
  if (excess <= 0) return [];
  const out: Driver[] = [];
  for (const [dimension, parts] of breakdowns) {
    const ranked = [...parts]
      .map(([name, values]) => ({ name, excess: (values[i] as number) - baselineAt(values, days, i).median }))
      .filter((p) => p.excess > 0)
      .sort((a, b) => b.excess - a.excess);
    let covered = 0;
    for (const part of ranked.slice(0, 2)) {
      if (covered >= 0.8) break;
      const share = Math.min(1, part.excess / excess);
      if (share < 0.1) break;
      out.push({ dimension, name: part.name, share });
      covered += share;
    }
  }
  return out.sort((a, b) => b.share - a.share);
}

/**
 * Whether a group's excess on day i is new spend rather than spend that moved: `parts` are the
 * group's own daily values in each project it spends in, `totals` each project's whole daily spend.
 * In every project where the group rose above its own baseline, the project's total must have risen
 * too; the excess the totals kept must be at least KEPT of the group's.
 */
export function keptByProjects(parts: ReadonlyMap<string, ArrayLike<number>>, totals: ReadonlyMap<string, ArrayLike<number>>, days: readonly number[], i: number): boolean {
  let rose = 0;
  let kept = 0;
  for (const [project, values] of parts) {
    const own = (values[i] as number) - baselineAt(values, days, i).median;
    if (own <= 0) continue;
    const total = totals.get(project);
    const whole = total ? (total[i] as number) - baselineAt(total, days, i).median : own;
    rose += own;
    kept += Math.min(own, Math.max(0, whole));
  }
  return rose === 0 || kept >= KEPT * rose;
}
