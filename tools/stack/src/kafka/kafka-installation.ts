import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchJarsWithMaven } from '../maven-fetch.js';
import { findRepoRoot } from '../repo-root.js';

export interface KafkaInstallation {
  /** Apache Kafka's version, as tools/kafka-broker/pom.xml pins it. */
  version: string;
  /** The folder of jars. */
  libsDir: string;
  /** `-cp` for java: every jar of `libsDir`. */
  classpath: string;
  /** The nodes' log4j2 configuration. */
  log4jConfig: string;
}

let cached: KafkaInstallation | undefined;

/** The version tools/kafka-broker/pom.xml pins. */
export function pinnedKafkaVersion(
  pom = readFileSync(join(findRepoRoot(), 'tools', 'kafka-broker', 'pom.xml'), 'utf8'),
): string {
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error('tools/kafka-broker/pom.xml names no <kafka.version>');
  return version;
}

/**
 * Apache Kafka's jars: OUTFLOW_KAFKA_LIBS when set (a folder of jars, e.g. a distribution's libs/), else the cached
 * Maven fetch of tools/kafka-broker/pom.xml (fetched now if missing: ~20 s, once per checkout).
 */
export function kafkaInstallation(): KafkaInstallation {
  if (cached) return cached;
  const dir = join(findRepoRoot(), 'tools', 'kafka-broker');
  const libsDir =
    process.env['OUTFLOW_KAFKA_LIBS'] ||
    fetchJarsWithMaven({ folder: 'kafka-broker', name: 'kafka', versionProperty: 'kafka.version' });
  cached = {
    version: pinnedKafkaVersion(),
    libsDir,
    classpath: join(libsDir, '*'),
    log4jConfig: join(dir, 'log4j2.properties'),
  };
  return cached;
}
