import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Ports the OS hands out as the local end of outgoing connections. A port we pick there can be taken by any
// client's connection between our check and the server's bind (a test's own Kafka clients did it in CI), so we
// pick below that range, where only another listener can take it.
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux: IANA's range.
  }
  return [49_152, 65_535];
}

const lowestPort = 10_000;

function canListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** `preferred` when nothing listens on it now (0: any), else a free port found as findFreePort does. */
export async function preferredOrFreePort(preferred: number): Promise<number> {
  if (preferred !== 0 && (await canListen(preferred))) return preferred;
  return findFreePort();
}

/**
 * A free loopback port for a server that needs its port number before it starts (PostgreSQL, Kafka): a random
 * one below the OS's ephemeral range, so no outgoing connection takes it before the server binds it. Another
 * listener still can; servers started this way retry on "address in use".
 */
export async function findFreePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const highest = ephemeralLow - 1;
  if (highest - lowestPort >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const port = lowestPort + Math.floor(Math.random() * (highest - lowestPort + 1));
      if (await canListen(port)) return port;
    }
  }
  const port = await canListen(0);
  if (!port) throw new Error('no free loopback port');
  return port;
}
