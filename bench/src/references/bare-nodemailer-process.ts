import { readFile } from 'node:fs/promises';

import { createInterface } from 'node:readline';

import type { RenderedMessage } from './due-messages.js';

import { mailboxTransports } from './mailbox-transports.js';

// The transport's own cost: pre-rendered messages (a JSON file, argv[2]) sent by nodemailer's pools straight to
// the sink, no database, no Kafka. Prints "ready" once loaded, sends on a line from stdin, prints "sent <n>".
// argv[3]: connections per mailbox; argv[4]: messages in flight at once.
const [file, poolSize, inFlight] = process.argv.slice(2);
const messages = JSON.parse(await readFile(file!, 'utf8')) as RenderedMessage[];
const transports = mailboxTransports(Number(poolSize));
process.stdout.write('ready\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));

let next = 0;
let failed = 0;
// A bounded number in flight: nodemailer's pool queues the rest, but a million pending promises would measure
// the heap, not the transport.
const lane = async (): Promise<void> => {
  while (next < messages.length) {
    const message = messages[next++]!;
    await transports.send(message).catch(() => (failed += 1));
  }
};
await Promise.all(Array.from({ length: Number(inFlight) }, lane));
transports.close();
process.stdout.write(`sent ${messages.length - failed} failed ${failed}\n`);
process.exit(0);
