import { writeSync } from 'node:fs';

/**
 * Crash points for the fault-injection suite, switched on only by OUTFLOW_FAILPOINTS (parsed with the service's
 * settings, see processEnv), which nothing but the suite sets. When a point is hit the process kills itself with
 * SIGKILL on the spot, exactly as a machine failure would: no cleanup, no shutdown hooks.
 */
let configured: ReadonlyMap<string, number> = new Map();

/** Switches on the crash points, each hit with its probability (0 to 1). */
export function configureFailpoints(points: ReadonlyMap<string, number>): void {
  configured = points;
}

export function failpoint(name: string): void {
  const probability = configured.get(name);
  if (probability === undefined || Math.random() >= probability) return;
  writeSync(2, `failpoint ${name}: killing process ${process.pid}\n`);
  process.kill(process.pid, 'SIGKILL');
}
