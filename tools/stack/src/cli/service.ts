import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findRepoRoot } from '../repo-root.js';
import { serviceNames, type ServiceName } from '../services.js';

// `npm run service <name>`: one service from source in this process, configured by the environment (for the local
// stack: set -a; . .outflow/stack.env; set +a). What `pnpm --filter @outflow/<name> dev` does, without pnpm, and
// a Ctrl-C ends it with the service's own exit code and nothing else printed.
const name = process.argv[2];
if (!serviceNames.includes(name as ServiceName)) {
  process.stderr.write(
    `${name ? `unknown service "${name}"` : 'no service named'}; usage: npm run service <${serviceNames.join('|')}>\n`,
  );
  process.exit(2);
}
await import(pathToFileURL(join(findRepoRoot(), 'services', name!, 'src', 'main.ts')).href);
