import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100;

/** CPU seconds used so far and resident memory of a process, from /proc (Linux). */
export function readProcessStats(pid: number): { cpuSeconds: number; rssMb: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return { cpuSeconds, rssMb: Math.round(rssKb / 102.4) / 10 };
  } catch {
    return undefined;
  }
}
