/** A workspace project as the assembler needs it: where it lives and which workspace packages it runs with. */
export interface WorkspaceProject {
  name: string;
  /** Relative to the workspace root, with forward slashes ('' for the root). */
  dir: string;
  /** Names of the workspace packages in its `dependencies` (not its devDependencies). */
  workspaceDependencies: string[];
  /** Its commands (package.json `bin`), relative to it: made executable in the image. */
  bin?: string[];
}

/**
 * What the production image runs: each service, the ops CLI and the migrations (packages/db's migrate command,
 * the pods' init container).
 */
function isImageEntry(project: WorkspaceProject): boolean {
  return project.dir.startsWith('services/') || project.dir === 'tools/cli' || project.dir === 'packages/db';
}

/**
 * The projects whose built output goes into the image: the entries and every workspace package they depend on at
 * run time, transitively. Dev-only projects (the stack, the bench, the fault suite) stay out unless something the
 * image runs depends on them, which would be a mistake worth failing on: see assertNoDevProjects.
 */
export function runtimeProjects(projects: readonly WorkspaceProject[]): WorkspaceProject[] {
  const byName = new Map(projects.map((project) => [project.name, project]));
  const selected = new Map<string, WorkspaceProject>();
  const visit = (project: WorkspaceProject, from: string): void => {
    if (selected.has(project.name)) return;
    selected.set(project.name, project);
    for (const name of project.workspaceDependencies) {
      const dependency = byName.get(name);
      if (!dependency) throw new Error(`${from} depends on ${name}, which is not a project of this workspace`);
      visit(dependency, project.name);
    }
  };
  for (const project of projects.filter(isImageEntry)) visit(project, project.name);
  return [...selected.values()].sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Fails when a dev-only project (under tools/ other than the CLI, or the bench) would go into the image. */
export function assertNoDevProjects(selected: readonly WorkspaceProject[]): void {
  const dev = selected.filter(
    (project) => (project.dir.startsWith('tools/') && project.dir !== 'tools/cli') || project.dir === 'bench',
  );
  if (dev.length > 0) {
    throw new Error(
      `the image would include dev-only projects (${dev.map((project) => project.dir).join(', ')}): ` +
        'something the image runs lists them in dependencies; make them devDependencies',
    );
  }
}
