import { SingleBar } from 'cli-progress';

export interface Progress {
  increment(count?: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr for long work, drawn only for a person at a terminal: piped or in CI, the command's
 * summary is all there is (cli-progress would otherwise write its frames into logs).
 */
export function startProgress(total: number, label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!progressShown(stream) || total === 0) return { increment: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {value}/{total} {percentage}% {eta_formatted} left`,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0);
  return { increment: (count = 1) => bar.increment(count), stop: () => bar.stop() };
}

/** Whether a bar would be drawn: callers skip counting its total (a query) when it would not. */
export function progressShown(stream: NodeJS.WriteStream = process.stderr): boolean {
  return stream.isTTY === true;
}
