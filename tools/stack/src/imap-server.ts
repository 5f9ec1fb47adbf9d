import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { findFreePort } from './free-port.js';
import { waitForServer } from './wait-for-server.js';

/**
 * A real IMAP server for the stack and the tests: Debian's Dovecot (`dovecot-imapd`), one process of our own on a
 * loopback port, mailboxes as Maildirs in a temporary folder. Mail arrives as a provider's would: appended to a
 * user's INBOX (or Sent, as Gmail keeps what its SMTP server sent) over IMAP.
 */
export interface ImapServer {
  host: string;
  port: number;
  /** Adds an account (the address is the login); every account has an INBOX and a Sent folder (\Sent). */
  addUser(address: string, password: string): Promise<void>;
  /** Puts a raw message into a user's folder, as delivery would; resolves with its UID. */
  deliver(address: string, raw: string | Buffer, folder?: string): Promise<number>;
  stop(): Promise<void>;
}

function dovecotPath(): string {
  return process.env['OUTFLOW_DOVECOT_BIN'] ?? (existsSync('/usr/sbin/dovecot') ? '/usr/sbin/dovecot' : 'dovecot');
}

/** Whether Dovecot runs here (the stack starts one only then; the tests require it). */
export function dovecotInstalled(): boolean {
  const probe = spawnSync(dovecotPath(), ['--version'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
}

function dovecotBinary(): string {
  const binary = dovecotPath();
  if (!dovecotInstalled()) {
    throw new Error(
      `no Dovecot IMAP server (${binary}): install it (Debian: apt-get install dovecot-imapd) or set OUTFLOW_DOVECOT_BIN`,
    );
  }
  return binary;
}

/**
 * Dovecot drops privileges to its own users when started as root (the package creates `dovecot` and `dovenull`);
 * started as anyone else, it runs everything as that user.
 */
function processUsers(): { internal: string; login: string; mailUid: number; mailGid: number } {
  const me = userInfo();
  if (me.uid !== 0) return { internal: me.username, login: me.username, mailUid: me.uid, mailGid: me.gid };
  const id = (flag: string) => Number(spawnSync('id', [flag, 'dovecot'], { encoding: 'utf8' }).stdout.trim());
  return { internal: 'dovecot', login: 'dovenull', mailUid: id('-u'), mailGid: id('-g') };
}

function dovecotConfig(dir: string, port: number, users: ReturnType<typeof processUsers>): string {
  return `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = no
# A local test server: logins in clear over loopback (the services allow this in development mode only).
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${users.internal}
default_login_user = ${users.login}
first_valid_uid = 0
mail_location = maildir:${dir}/mail/%u
# A client in IDLE hears of new mail within a second (Dovecot checks every 30 s where it gets no inotify event).
mailbox_idle_check_interval = 1 secs
# No chroots: an unprivileged Dovecot cannot make them, and nothing here needs them.
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${users.mailUid} gid=${users.mailGid} home=${dir}/mail/%u
}
namespace inbox {
  inbox = yes
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
}
`;
}

async function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('* OK'));
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts Dovecot on a free loopback port; resolves once it greets. */
export async function startImapServer(): Promise<ImapServer> {
  const binary = dovecotBinary();
  const users = processUsers();
  // Short: Dovecot's sockets live under it, and a socket path may not pass 107 bytes.
  const dir = await mkdtemp(join(tmpdir(), 'imap-'));
  await chmod(dir, 0o755);
  for (const sub of ['run', 'state', 'mail']) await mkdir(join(dir, sub));
  await chown(join(dir, 'mail'), users.mailUid, users.mailGid);
  await writeFile(join(dir, 'users'), '');
  const port = await findFreePort();
  await writeFile(join(dir, 'dovecot.conf'), dovecotConfig(dir, port, users));
  const child = spawn(binary, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  await waitForServer({
    name: 'Dovecot',
    child,
    ready: () => greets(port),
    stop,
    log: () => log,
    timeoutMs: 30_000,
    everyMs: 50,
  });

  const passwords = new Map<string, string>();
  return {
    host: '127.0.0.1',
    port,
    async addUser(address, password) {
      if (/[:\s]/.test(address) || /[\s]/.test(password)) throw new Error('addresses and passwords have no spaces');
      passwords.set(address, password);
      await appendFile(join(dir, 'users'), `${address}:{PLAIN}${password}\n`);
    },
    async deliver(address, raw, folder = 'INBOX') {
      const password = passwords.get(address);
      if (password === undefined) throw new Error(`no IMAP user ${address} (addUser first)`);
      const client = new ImapFlow({
        host: '127.0.0.1',
        port,
        secure: false,
        auth: { user: address, pass: password },
        logger: false,
      });
      await client.connect();
      try {
        const appended = await client.append(folder, raw);
        if (!appended || appended.uid === undefined) throw new Error(`Dovecot did not say where it put the message`);
        return appended.uid;
      } finally {
        await client.logout();
      }
    },
    stop,
  };
}
