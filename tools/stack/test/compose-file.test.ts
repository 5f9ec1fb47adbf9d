import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { parseEnv, secretEnv } from '@outflow/config';
import { pinnedKafkaVersion } from '../src/kafka/kafka-installation.js';
import { findRepoRoot } from '../src/repo-root.js';
import { serviceDatabaseRoles, serviceNames, type ServiceName } from '../src/services.js';

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  ports?: string[];
  restart?: string;
}

const root = findRepoRoot();
// The file uses YAML anchors and merge keys (`<<: *outflow`), as Docker Compose reads them.
const compose = parse(readFileSync(join(root, 'docker-compose.kafka.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const oneShots = ['migrate', 'topics'];

/** The source file a built entry point (`<project>/dist/src/<path>.js`) is compiled from. */
const sourceOf = (entryPoint: string): string =>
  join(root, entryPoint.replace('/dist/src/', '/src/').replace(/\.js$/, '.ts'));

describe('docker-compose.kafka.yml', () => {
  it('runs every service of services/ from the image built here, and nothing that does not exist', () => {
    const folders = readdirSync(join(root, 'services')).sort();
    expect(folders).toEqual([...serviceNames].sort());
    const built = Object.entries(services).filter(([, service]) => service.build !== undefined);
    expect(built.map(([name]) => name).sort()).toEqual([...folders, ...oneShots].sort());
    for (const name of folders) {
      expect([name, services[name]?.command]).toEqual([name, ['node', `services/${name}/dist/src/main.js`]]);
    }
    for (const [name, service] of built) {
      const [program, entryPoint = ''] = service.command ?? [];
      expect([name, program, existsSync(sourceOf(entryPoint))]).toEqual([name, 'node', true]);
    }
  });

  it('starts the services only after the migrations and topics are done, and those after their servers are up', () => {
    for (const name of serviceNames) {
      expect([name, services[name]?.depends_on]).toMatchObject([
        name,
        {
          migrate: { condition: 'service_completed_successfully' },
          topics: { condition: 'service_completed_successfully' },
        },
      ]);
    }
    expect(services['migrate']?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(services['topics']?.depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
    // A one-shot that restarted on success would never count as completed.
    for (const name of oneShots) expect([name, services[name]?.restart]).toEqual([name, 'no']);
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency];
        expect([name, dependency, target !== undefined]).toEqual([name, dependency, true]);
        // service_healthy waits forever on a service without a health check.
        if (condition === 'service_healthy')
          expect([dependency, target?.healthcheck]).not.toEqual([dependency, undefined]);
      }
    }
  });

  it('gives each service its own database role and settings it accepts, pointing at servers of the file', () => {
    for (const name of serviceNames) {
      const environment = services[name]?.environment ?? {};
      expect([name, environment['DATABASE_ROLE']]).toEqual([name, serviceDatabaseRoles[name as ServiceName]]);
      expect(() => parseEnv(secretEnv, environment)).not.toThrow();
      for (const variable of [
        'DATABASE_URL',
        'KAFKA_BROKERS',
        'SCHEMA_REGISTRY_URL',
        'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
      ]) {
        const value = environment[variable] ?? '';
        const host = /^(?:[a-z]+:\/\/(?:[^@/]*@)?)?([^:/]+)/.exec(value)?.[1] ?? '';
        expect([name, variable, host in services]).toEqual([name, variable, true]);
      }
    }
    // The brokers' address is the listener Kafka advertises inside the compose network.
    const advertised = services['kafka']?.environment?.['KAFKA_ADVERTISED_LISTENERS'] ?? '';
    expect(advertised).toContain(`INTERNAL://${services['sequence-api']?.environment?.['KAFKA_BROKERS'] ?? ''}`);
  });

  it('has a mail catcher and a trace backend, and publishes ports on 127.0.0.1 only', () => {
    expect(services['mailpit']?.image).toMatch(/^axllent\/mailpit:v\d/);
    expect(services['zipkin']?.image).toMatch(/^openzipkin\/zipkin:/);
    const published = Object.values(services).flatMap((service) => service.ports ?? []);
    expect(published.length).toBeGreaterThan(0);
    expect(published.filter((mapping) => !mapping.startsWith('127.0.0.1:'))).toEqual([]);
  });

  it('runs the Kafka and Zipkin versions the tests run', () => {
    expect(services['kafka']?.image).toBe(`apache/kafka:${pinnedKafkaVersion()}`);
    const zipkinPom = readFileSync(join(root, 'tools', 'zipkin', 'pom.xml'), 'utf8');
    const zipkinVersion = /<zipkin\.version>([^<]+)</.exec(zipkinPom)?.[1];
    expect(services['zipkin']?.image).toBe(`openzipkin/zipkin:${zipkinVersion ?? 'unknown'}`);
  });
});
