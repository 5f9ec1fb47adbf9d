import { readdirSync, readFileSync } from 'node:fs';

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

function cpuOf(pid: number, statPath = `/proc/${pid}/stat`): { own: number; reapedChildren: number } | undefined {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      own: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      reapedChildren: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS,
    };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return children;
}

/**
 * CPU seconds used so far by a process and all its descendants, live or already exited (their time is added to
 * the parent's when it reaps them): what a PostgreSQL server costs, backends included.
 */
export function readProcessTreeCpuSeconds(pid: number): number | undefined {
  const root = cpuOf(pid);
  if (!root) return undefined;
  let total = root.own + root.reapedChildren;
  for (const child of childrenOf(pid)) total += readProcessTreeCpuSeconds(child) ?? 0;
  return total;
}

/**
 * CPU seconds used so far by a JVM's JIT compiler threads ("C1 CompilerThre…", "C2 CompilerThre…" in /proc): how
 * much of the broker's CPU in a run went to compiling rather than serving requests (a broker that has been up for
 * days spends next to none there).
 */
export function readJitCpuSeconds(pid: number): number | undefined {
  try {
    let total = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (!/^C[12] CompilerThre/.test(readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8'))) continue;
        total += cpuOf(Number(task), `/proc/${pid}/task/${task}/stat`)?.own ?? 0;
      } catch {
        // A compiler thread that ended while we looked.
      }
    }
    return total;
  } catch {
    return undefined;
  }
}
