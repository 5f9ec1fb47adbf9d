import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findRepoRoot } from './repo-root.js';

/**
 * The jars a tool folder's pom.xml copies (tools/kafka-broker, tools/zipkin): fetched by Maven through
 * tools/fetch-with-maven.sh into a cache folder under the checkout, once (offline afterwards); returns that folder.
 */
export function fetchJarsWithMaven(tool: { folder: string; name: string; versionProperty: string }): string {
  const root = findRepoRoot();
  const script = join(root, 'tools', 'fetch-with-maven.sh');
  const folder = join(root, 'tools', tool.folder);
  const result = spawnSync('bash', [script, folder, tool.name, tool.versionProperty], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const libs = result.stdout.trim().split('\n').pop();
  if (result.status !== 0 || !libs) {
    throw new Error(
      `fetching ${tool.name} failed (exit ${String(result.status)}); run: bash ${script} ${folder} ${tool.name} ${tool.versionProperty}`,
    );
  }
  return libs;
}
