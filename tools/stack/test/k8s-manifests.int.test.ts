import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { findRepoRoot } from '../src/index.js';

interface Container {
  name: string;
  image: string;
  command?: string[];
  securityContext?: Record<string, unknown>;
  ports?: Array<{ hostPort?: number }>;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<Record<string, unknown>>;
  terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
}

interface Resource {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec?: PodSpec } };
}

const overlaysFolder = join(findRepoRoot(), 'infra', 'k8s', 'overlays');

/** An overlay as `kubectl kustomize` renders it (kubectl 1.27+ embeds kustomize 5). */
function render(overlay: string): Resource[] {
  const result = spawnSync('kubectl', ['kustomize', join(overlaysFolder, overlay)], { encoding: 'utf8' });
  if (result.error)
    throw new Error(`kubectl is needed to render infra/k8s (kubectl kustomize): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((document) => document.toJS() as Resource);
}

/** The volume types the restricted Pod Security Standard allows. */
const allowedVolumes = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/**
 * What a pod spec breaks of the `restricted` Pod Security Standard (Kubernetes' own list: host namespaces,
 * host paths and ports, privileged containers, capabilities, privilege escalation, non-root, seccomp).
 */
function restrictedViolations(pod: PodSpec): string[] {
  const found: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) found.push('shares a host namespace');
  for (const volume of pod.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== 'name');
    if (!type || !allowedVolumes.has(type)) found.push(`volume ${String(volume['name'])} is of type ${type}`);
  }
  const podContext = pod.securityContext ?? {};
  for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
    const context = container.securityContext ?? {};
    const of = (key: string) => context[key] ?? podContext[key];
    const where = `container ${container.name}`;
    if (context['privileged'] === true) found.push(`${where} is privileged`);
    if (context['allowPrivilegeEscalation'] !== false) found.push(`${where} may escalate privileges`);
    const capabilities = (context['capabilities'] ?? {}) as { add?: string[]; drop?: string[] };
    if (!(capabilities.drop ?? []).includes('ALL')) found.push(`${where} does not drop ALL capabilities`);
    if ((capabilities.add ?? []).some((capability) => capability !== 'NET_BIND_SERVICE')) {
      found.push(`${where} adds capabilities`);
    }
    if (of('runAsNonRoot') !== true) found.push(`${where} may run as root`);
    if (of('runAsUser') === 0) found.push(`${where} runs as uid 0`);
    const seccomp = (of('seccompProfile') ?? {}) as { type?: string };
    if (seccomp.type !== 'RuntimeDefault' && seccomp.type !== 'Localhost')
      found.push(`${where} has no seccomp profile`);
    if ((container.ports ?? []).some((port) => port.hostPort)) found.push(`${where} uses a host port`);
  }
  return found;
}

const overlays = readdirSync(overlaysFolder).sort();

describe('the Kubernetes manifests (infra/k8s)', () => {
  it('have a development and a production overlay', () => {
    expect(overlays).toEqual(expect.arrayContaining(['dev', 'production']));
  });

  describe.each(overlays)('the %s overlay', (overlay) => {
    const resources = render(overlay);
    const workloads = resources.filter((resource) => resource.spec?.template?.spec);
    const podOf = (resource: Resource) => resource.spec!.template!.spec!;

    it('runs every service, each pod within the restricted Pod Security Standard', () => {
      expect(workloads.map((resource) => `${resource.kind}/${resource.metadata.name}`).sort()).toEqual([
        'Deployment/cron-producer',
        'Deployment/followup-scheduler',
        'Deployment/retry-consumer',
        'Deployment/sequence-api',
        'Deployment/smtp-sender',
      ]);
      for (const workload of workloads) {
        expect({ workload: workload.metadata.name, violations: restrictedViolations(podOf(workload)) }).toEqual({
          workload: workload.metadata.name,
          violations: [],
        });
        // A numeric user: the kubelet refuses runAsNonRoot with an image whose user is a name it cannot check.
        expect(typeof podOf(workload).securityContext?.['runAsUser']).toBe('number');
      }
    });

    it('applies pending migrations in every pod before its service starts (plain kubectl apply orders nothing else)', () => {
      for (const workload of workloads) {
        const init = podOf(workload).initContainers ?? [];
        expect(init.map((container) => [container.name, container.command])).toEqual([
          ['migrate', ['node', 'packages/db/dist/src/cli/migrate.js', 'latest']],
        ]);
      }
    });

    it('runs one image, pinned to a version in production', () => {
      const images = new Set(
        workloads.flatMap((workload) =>
          [...podOf(workload).containers, ...(podOf(workload).initContainers ?? [])].map((c) => c.image),
        ),
      );
      expect(images.size).toBe(1);
      const [image] = [...images];
      if (overlay === 'production')
        expect(image).toMatch(/^ghcr\.io\/outflow\/outflow(:v\d+\.\d+\.\d+|@sha256:[0-9a-f]{64})$/);
    });

    it('gives every service probes, resources and longer to stop than its own shutdown grace', () => {
      const config = resources.find(
        (resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'outflow-config',
      );
      const graceMs = Number(config?.data?.['SHUTDOWN_GRACE_MS']);
      expect(graceMs).toBeGreaterThan(0);
      for (const deployment of workloads.filter((workload) => workload.kind === 'Deployment')) {
        const pod = podOf(deployment);
        expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(graceMs);
        for (const container of pod.containers) {
          expect(container.livenessProbe).toBeDefined();
          expect(container.readinessProbe).toBeDefined();
          expect(container.resources?.requests?.['cpu']).toBeDefined();
          expect(container.resources?.limits?.['memory']).toBeDefined();
        }
      }
    });
  });
});
