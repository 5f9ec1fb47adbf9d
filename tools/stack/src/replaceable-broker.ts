import { createServer, connect, type Server, type Socket } from 'node:net';
import { startMockBroker, type MockBroker, type TopicSpec } from './mock-broker.js';

export interface ReplaceableBroker {
  /** Stable bootstrap list (the proxy's address), valid across replacements. */
  brokers: string[];
  /** Kills the broker (all its data is lost, every client connection drops) and starts an empty one behind the
   * same address, with the same topics: a broker lost with its disk and replaced. */
  replace(): Promise<void>;
  /** How many times the broker was replaced. */
  readonly replacements: number;
  stop(): Promise<void>;
}

/**
 * The dev broker behind a TCP proxy on a fixed loopback port that it advertises in Metadata (dev/test only).
 * The mock listens on random ports and keeps nothing, so the only way to model "the broker died and came back
 * empty at the same address" — what a real cluster losing its data looks like to clients — is to keep the
 * address in front of it. Clients never see the mock's own ports.
 */
export async function startReplaceableBroker(options: {
  topics: TopicSpec[];
  onCrash?: (reason: string) => void;
}): Promise<ReplaceableBroker> {
  const connections = new Set<Socket>();
  let target: { host: string; port: number } | undefined;
  const server: Server = createServer((client) => {
    if (!target) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      connections.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        connections.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the broker proxy has no TCP address');
  const advertised = `127.0.0.1:${address.port}`;

  let replacing = false;
  const start = async (): Promise<MockBroker> => {
    const broker = await startMockBroker({
      topics: options.topics,
      advertise: { 1: advertised },
      onCrash: (reason) => {
        if (!replacing) options.onCrash?.(reason);
      },
    });
    const [host, port] = broker.brokers[0]!.split(':');
    target = { host: host!, port: Number(port) };
    return broker;
  };
  let broker = await start();
  let replacements = 0;

  return {
    brokers: [advertised],
    get replacements() {
      return replacements;
    },
    async replace() {
      replacing = true;
      target = undefined;
      broker.kill();
      await broker.exited;
      for (const socket of connections) socket.destroy();
      broker = await start();
      replacements += 1;
      replacing = false;
    },
    async stop() {
      target = undefined;
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await broker.stop();
    },
  };
}
