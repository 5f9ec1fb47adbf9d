import type { TimelineSample } from './run-figures.js';

/** The share of a run whose first samples are its warm-up: the services' heaps and pools are still filling. */
const warmUpShare = 0.1;

/**
 * Emails/s between consecutive samples, and each service's RSS growth to the last sample: from the first sample,
 * and from the first one after the warm-up (the first tenth of the run), where a leak shows without the heaps'
 * and pools' filling up at the start.
 */
export function timelineFigures(timeline: TimelineSample[]) {
  const windows = timeline.slice(1).map((sample, index) => {
    const previous = timeline[index]!;
    const seconds = sample.atSeconds - previous.atSeconds;
    return {
      atSeconds: sample.atSeconds,
      emailsPerSecond: seconds > 0 ? Math.round((sample.arrived - previous.arrived) / seconds) : 0,
    };
  });
  const first = timeline[0];
  const last = timeline.at(-1);
  const growthFrom = (start: TimelineSample | undefined) =>
    Object.fromEntries(
      Object.keys(first?.rssMb ?? {}).map((name) => {
        const from = start?.rssMb[name];
        const to = last?.rssMb[name];
        return [name, from && to ? Math.round(((to - from) / from) * 1000) / 10 : null];
      }),
    );
  const warmedUp = timeline.find((sample) => sample.atSeconds >= (last?.atSeconds ?? 0) * warmUpShare);
  return {
    windows,
    rssGrowthPercent: growthFrom(first),
    rssGrowthAfterWarmUpPercent: growthFrom(warmedUp),
    warmedUpAtSeconds: warmedUp?.atSeconds,
  };
}

/** Each service's RSS growth as the summaries print it: "name 4.5%, other n/a%". */
export function showGrowth(growthPercent: Record<string, number | null>): string {
  return Object.entries(growthPercent)
    .map(([name, growth]) => `${name} ${growth ?? 'n/a'}%`)
    .join(', ');
}

/**
 * At most `maxRows` samples spread evenly over the timeline, always with its first and last: a long drain's table
 * stays readable, and a climb still shows.
 */
export function spreadSamples<T>(samples: T[], maxRows: number): T[] {
  if (samples.length <= maxRows) return samples;
  if (maxRows < 2) return samples.slice(-1);
  const picked = new Set<number>();
  for (let row = 0; row < maxRows; row++) picked.add(Math.round((row * (samples.length - 1)) / (maxRows - 1)));
  return [...picked].map((index) => samples[index]!);
}

/**
 * The timeline as a markdown table: emails/s since the row before, RSS per service, dead tuples per table. With
 * `maxRows`, rates are over the rows shown, so they still add up to the run.
 */
export function renderTimeline(timeline: TimelineSample[], maxRows = Number.POSITIVE_INFINITY): string[] {
  const rows = spreadSamples(timeline, maxRows);
  const { windows } = timelineFigures(rows);
  const names = Object.keys(rows[0]?.rssMb ?? {});
  const tables = Object.keys(rows[0]?.deadTuples ?? {});
  return [
    `| at s | emails/s since previous | ${names.map((name) => `${name} RSS MB`).join(' | ')} | ${tables
      .map((table) => `${table} dead`)
      .join(' | ')} |`,
    `| --- | --- | ${[...names, ...tables].map(() => '---').join(' | ')} |`,
    ...rows.map(
      (sample, index) =>
        `| ${sample.atSeconds} | ${index === 0 ? '' : windows[index - 1]!.emailsPerSecond} | ${names
          .map((name) => sample.rssMb[name] ?? '')
          .join(' | ')} | ${tables.map((table) => sample.deadTuples[table] ?? '').join(' | ')} |`,
    ),
  ];
}
