import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** What was written to stdout alone (a command's result, without what it told a person on stderr). */
  stdout(): string;
  /** Resolves with the match once the output matches `pattern`; rejects on exit or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal name) once the process exits; rejects after `timeoutMs`. */
  waitForExit(timeoutMs?: number): Promise<number | string>;
  /** Signals the process (with `processGroup`, its whole group, as a terminal's Ctrl-C does). */
  kill(signal?: NodeJS.Signals): void;
}

/** A TypeScript entry point run the way the npm scripts run it: workspace packages from source via tsx. */
export function spawnTypeScript(
  entry: string,
  options: { env?: NodeJS.ProcessEnv; args?: string[]; cwd?: string; nodeArgs?: string[] } = {},
) {
  return spawnProcess(
    process.execPath,
    [...(options.nodeArgs ?? []), '--conditions=@outflow/source', '--import', 'tsx', entry, ...(options.args ?? [])],
    options,
  );
}

// Children still running when this process exits are killed with it: a harness stopped with a signal (which
// exits through process.exit in its handler) must not leave services running against a stack that is gone.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function spawnProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; processGroup?: boolean } = {},
): RunningProcess {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group, so kill() can reach the command and everything it started, like a terminal does.
    detached: options.processGroup ?? false,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  let stdout = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onData(chunk);
  });
  child.stderr?.on('data', onData);
  let exit: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    // 'close', not 'exit': it fires after stdout and stderr are drained, so output() is complete.
    child.once('close', (code, signal) => {
      exit = code ?? signal ?? 'unknown';
      for (const listener of [...listeners]) listener();
      resolve(exit);
    });
  });

  const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms; output:\n${output.slice(-3_000)}`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  return {
    child,
    output: () => output,
    stdout: () => stdout,
    waitForOutput(pattern, timeoutMs = 30_000) {
      return withTimeout(
        new Promise<RegExpMatchArray>((resolve, reject) => {
          const check = (): void => {
            const match = output.match(pattern);
            if (match) {
              listeners.delete(check);
              resolve(match);
            } else if (exit !== undefined) {
              listeners.delete(check);
              reject(
                new Error(`process exited (${exit}) before printing ${pattern}; output:\n${output.slice(-3_000)}`),
              );
            }
          };
          listeners.add(check);
          check();
        }),
        timeoutMs,
        `no ${pattern} in the output`,
      );
    },
    waitForExit(timeoutMs = 30_000) {
      return withTimeout(exited, timeoutMs, 'the process did not exit');
    },
    kill(signal = 'SIGTERM') {
      if (options.processGroup && child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, signal);
      else child.kill(signal);
    },
  };
}
