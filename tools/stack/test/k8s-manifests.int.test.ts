import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { consumerGroupOf, topicContracts, type TopicName } from '@outflow/contracts';
import { findRepoRoot, serviceDatabaseRoles, type ServiceName } from '../src/index.js';

interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: Array<{ name: string; value?: string }>;
  securityContext?: Record<string, unknown>;
  ports?: Array<{ name?: string; containerPort: number; hostPort?: number }>;
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
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  /** The fields of each kind's spec that the tests read. */
  spec?: {
    template?: { spec?: PodSpec };
    selector?: { matchLabels: Record<string, string> } & Record<string, string>;
    maxUnavailable?: number;
    podSelector?: unknown;
    policyTypes?: string[];
    ingress?: PolicyRule[];
    egress?: PolicyRule[];
    ports?: unknown[];
    jobLabel?: string;
    endpoints?: unknown[];
    scaleTargetRef?: { name: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    triggers?: Array<{ type: string; metadata: Record<string, string> }>;
  };
}

interface PolicyRule {
  ports: Array<{ port: number | string; protocol: string }>;
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

/** The packages that hold the schemas of the custom resources the overlays use, by API group. */
const customResourceModels: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'keda.sh': '@kubernetes-models/keda',
};

/**
 * Validates a resource against the OpenAPI schema of its kind: Kubernetes' own from kubernetes-models (pinned in
 * package.json: 5.1.0, generated from Kubernetes 1.34), custom resources' from their projects' model packages.
 * Throws naming the first field that does not fit, or the kind when no schema is known for it.
 */
async function validateResource(resource: Resource & { apiVersion: string }): Promise<void> {
  const [group, version] = resource.apiVersion.includes('/')
    ? resource.apiVersion.split('/')
    : ['', resource.apiVersion];
  const module = group
    ? `${customResourceModels[group!] ?? 'kubernetes-models'}/${group}/${version}/${resource.kind}`
    : `kubernetes-models/${version}/${resource.kind}`;
  const models = (await import(module).catch(() => {
    throw new Error(`no schema known for ${resource.apiVersion} ${resource.kind} (looked for ${module})`);
  })) as Record<string, new (data: unknown) => { validate(): void }>;
  new models[resource.kind]!(resource).validate();
}

describe('the Kubernetes manifests (infra/k8s)', () => {
  it('have a development and a production overlay', () => {
    expect(overlays).toEqual(expect.arrayContaining(['dev', 'production']));
  });

  describe.each(overlays)('the %s overlay', (overlay) => {
    const resources = render(overlay);
    const workloads = resources.filter((resource) => resource.spec?.template?.spec);
    const podOf = (resource: Resource) => resource.spec!.template!.spec!;

    it("renders only resources that are valid against their kind's schema", async () => {
      for (const resource of resources) {
        await expect(validateResource(resource as Resource & { apiVersion: string })).resolves.toBeUndefined();
      }
    });

    it('runs every service, each pod within the restricted Pod Security Standard', () => {
      expect(workloads.map((resource) => `${resource.kind}/${resource.metadata.name}`).sort()).toEqual([
        'Deployment/cron-producer',
        'Deployment/followup-scheduler',
        'Deployment/inbox-reader',
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

    it('runs each service as its own database role; only the migrations run as the login itself', () => {
      for (const workload of workloads) {
        const name = workload.metadata.name as ServiceName;
        const roleOf = (container: Container) =>
          container.env?.find((variable) => variable.name === 'DATABASE_ROLE')?.value;
        expect([name, podOf(workload).containers.map(roleOf)]).toEqual([name, [serviceDatabaseRoles[name]]]);
        expect([name, (podOf(workload).initContainers ?? []).map(roleOf)]).toEqual([name, [undefined]]);
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

    it('lets a drain take one pod of each service at a time', () => {
      const budgets = resources.filter((resource) => resource.kind === 'PodDisruptionBudget');
      for (const deployment of workloads) {
        const labels = deployment.spec!.selector!.matchLabels;
        const budget = budgets.find(
          (candidate) => JSON.stringify(candidate.spec!.selector!.matchLabels) === JSON.stringify(labels),
        );
        expect({ deployment: deployment.metadata.name, maxUnavailable: budget?.spec!.maxUnavailable }).toEqual({
          deployment: deployment.metadata.name,
          maxUnavailable: 1,
        });
      }
    });

    it('lets pods reach only DNS, PostgreSQL, Kafka, the registry and SMTP, and be reached on the API and health ports', () => {
      const [policy, ...others] = resources.filter((resource) => resource.kind === 'NetworkPolicy');
      expect(others).toEqual([]);
      expect(policy!.spec!.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/part-of': 'outflow' } });
      expect(policy!.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
      const portsOf = (rules: PolicyRule[] = []) =>
        rules.flatMap((rule) => rule.ports.map((port) => `${port.protocol}/${port.port}`)).sort();
      expect(portsOf(policy!.spec!.ingress)).toEqual(['TCP/health', 'TCP/http']);
      expect(portsOf(policy!.spec!.egress)).toEqual(
        ['TCP/25', 'TCP/2525', 'TCP/465', 'TCP/5432', 'TCP/53', 'TCP/587', 'TCP/8081', 'TCP/9092', 'UDP/53'].sort(),
      );
      // Every pod's health port carries the name the policy and the metrics Service use.
      for (const workload of workloads) {
        for (const container of podOf(workload).containers) {
          expect(container.ports?.map((port) => port.name)).toContain('health');
        }
      }
    });

    it("exposes every pod's health port to Prometheus, through a ServiceMonitor as the job outflow in production", () => {
      const metrics = resources.find(
        (resource) => resource.kind === 'Service' && resource.metadata.name === 'outflow-metrics',
      );
      expect(metrics?.spec!.selector).toEqual({ 'app.kubernetes.io/part-of': 'outflow' });
      expect(metrics?.spec!.ports).toEqual([{ name: 'health', port: 9400, targetPort: 'health' }]);
      const monitor = resources.find((resource) => resource.kind === 'ServiceMonitor');
      if (overlay !== 'production') return;
      const selected = monitor!.spec!.selector!.matchLabels;
      expect(Object.entries(selected).every(([key, value]) => metrics!.metadata.labels?.[key] === value)).toBe(true);
      expect(metrics!.metadata.labels?.[monitor!.spec!.jobLabel!]).toBe('outflow');
      expect(monitor!.spec!.endpoints).toEqual([{ port: 'health', path: '/metrics', interval: '15s' }]);
    });

    it('scales each consumer on its group lag in production, never above its topic partitions', () => {
      const scaled = resources.filter((resource) => resource.kind === 'ScaledObject');
      if (overlay !== 'production') {
        expect(scaled).toEqual([]);
        return;
      }
      const brokers = resources.find((resource) => resource.kind === 'ConfigMap')?.data?.['KAFKA_BROKERS'];
      const consumers = Object.entries(consumerGroupOf) as Array<[TopicName, string]>;
      expect(scaled.map((resource) => resource.spec!.scaleTargetRef!.name).sort()).toEqual(
        consumers.map(([, group]) => group).sort(),
      );
      for (const [topic, group] of consumers) {
        const object = scaled.find((resource) => resource.spec!.scaleTargetRef!.name === group)!;
        expect(workloads.map((workload) => workload.metadata.name)).toContain(group);
        expect(object.spec!.triggers).toEqual([
          {
            type: 'kafka',
            metadata: expect.objectContaining({
              bootstrapServers: brokers,
              consumerGroup: group,
              topic,
              allowIdleConsumers: 'false',
            }),
          },
        ]);
        expect(object.spec!.maxReplicaCount).toBeLessThanOrEqual(topicContracts[topic].partitions);
        expect(object.spec!.minReplicaCount).toBeGreaterThanOrEqual(1);
      }
    });
  });
});
