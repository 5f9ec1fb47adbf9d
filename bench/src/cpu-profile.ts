import { readdirSync, readFileSync } from 'node:fs';

import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` (written by `node --cpu-prof`) that the summary needs. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Sampled CPU time, in seconds (idle excluded). */
  busySeconds: number;
  /** Self time grouped by where the code lives (an npm package, one of ours, node internals, GC), share of busy. */
  byOrigin: { origin: string; percent: number }[];
  /** The functions with the most self time. */
  topFunctions: { name: string; percent: number }[];
}

/** Where a frame's code lives: `kafkajs`, `@outflow/db`, `node:internal`, `(garbage collector)`, … */
export function originOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'native'})`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return 'node:internal';
  const ours = /\/(services|packages|tools)\/([^/]+)\//.exec(url);
  if (ours) return `@outflow/${ours[2]}`;
  return url;
}

const idle = new Set(['(idle)', '(program)', '(root)']);

/** Sums self time (hit counts) by origin and by function; idle and the profiler's own frames are left out. */
export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const samples = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const secondsPerSample = samples > 0 ? (profile.endTime - profile.startTime) / 1e6 / samples : 0;
  const origins = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || idle.has(functionName)) continue;
    busy += hits;
    const origin = originOf(url, functionName);
    origins.set(origin, (origins.get(origin) ?? 0) + hits);
    const name = url ? `${functionName || '(anonymous)'} ${origin}:${lineNumber + 1}` : origin;
    functions.set(name, (functions.get(name) ?? 0) + hits);
  }
  const ranked = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => ({ name, percent: Math.round((hits / busy) * 1000) / 10 }));
  return {
    busySeconds: Math.round(busy * secondsPerSample * 10) / 10,
    byOrigin: ranked(origins).map(({ name, percent }) => ({ origin: name, percent })),
    topFunctions: ranked(functions),
  };
}

/** Summarizes the `.cpuprofile` files a process with this pid wrote into `directory` (node names them by pid). */
export function summarizeProfilesOf(directory: string, pid: number): ProfileSummary | undefined {
  const files = readdirSync(directory).filter((file) => file.includes(`.${pid}.`) && file.endsWith('.cpuprofile'));
  if (files.length === 0) return undefined;
  return summarizeProfile(JSON.parse(readFileSync(join(directory, files[0]!), 'utf8')) as CpuProfile);
}
