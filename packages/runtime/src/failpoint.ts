import { writeSync } from 'node:fs';

/**
 * Crash points for the fault-injection suite, switched on only by OUTFLOW_FAILPOINTS, which nothing but the suite
 * sets: a comma-separated list of `name` or `name=probability` (0..1, default 1). When a point is hit the process
 * kills itself with SIGKILL on the spot, exactly as a machine failure would: no cleanup, no shutdown hooks.
 */
let configured: Map<string, number> | undefined;

function points(): Map<string, number> {
  if (!configured) {
    configured = new Map();
    for (const entry of (process.env['OUTFLOW_FAILPOINTS'] ?? '').split(',').map((part) => part.trim())) {
      if (!entry) continue;
      const [name, probability] = entry.split('=');
      const p = probability === undefined ? 1 : Number(probability);
      if (name && Number.isFinite(p)) configured.set(name, p);
    }
  }
  return configured;
}

export function failpoint(name: string): void {
  const probability = points().get(name);
  if (probability === undefined || Math.random() >= probability) return;
  writeSync(2, `failpoint ${name}: killing process ${process.pid}\n`);
  process.kill(process.pid, 'SIGKILL');
}
