import { describe, expect, it } from '@jest/globals';
import { assertNoDevProjects, runtimeProjects, type WorkspaceProject } from './runtime-projects.js';

const project = (dir: string, workspaceDependencies: string[] = []): WorkspaceProject => ({
  name: dir === '' ? 'outflow' : `@outflow/${dir.split('/').pop() ?? ''}`,
  dir,
  workspaceDependencies,
});

describe('runtimeProjects', () => {
  it('takes the services, the CLI and the migrations with the packages they depend on, transitively', () => {
    const workspace = [
      project(''),
      project('packages/runtime', ['@outflow/telemetry']),
      project('packages/telemetry'),
      project('packages/db', ['@outflow/runtime']),
      project('packages/templates'),
      project('packages/unused'),
      project('services/smtp-sender', ['@outflow/db', '@outflow/templates']),
      project('tools/cli', ['@outflow/db']),
      project('tools/stack', ['@outflow/db']),
      project('bench', ['@outflow/stack']),
    ];
    expect(runtimeProjects(workspace).map((selected) => selected.dir)).toEqual([
      'packages/db',
      'packages/runtime',
      'packages/telemetry',
      'packages/templates',
      'services/smtp-sender',
      'tools/cli',
    ]);
  });

  it('fails on a dependency that is not in the workspace', () => {
    expect(() => runtimeProjects([project('services/api', ['@outflow/gone'])])).toThrow(
      '@outflow/api depends on @outflow/gone, which is not a project of this workspace',
    );
  });
});

describe('assertNoDevProjects', () => {
  it('refuses the dev stack or the bench in the image, and lets the CLI and packages through', () => {
    expect(() => assertNoDevProjects([project('tools/cli'), project('packages/db')])).not.toThrow();
    expect(() => assertNoDevProjects([project('services/api'), project('tools/stack')])).toThrow(
      'the image would include dev-only projects (tools/stack)',
    );
  });

  it('is what a service listing the dev stack in its dependencies runs into', () => {
    const selected = runtimeProjects([
      project('services/api', ['@outflow/stack']),
      project('tools/stack', ['@outflow/db']),
      project('packages/db'),
    ]);
    expect(() => assertNoDevProjects(selected)).toThrow('(tools/stack)');
  });
});
