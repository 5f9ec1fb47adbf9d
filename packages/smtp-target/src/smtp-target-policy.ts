import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Where a mailbox's SMTP connection may go. A mailbox's host and port are user input: without a policy the sender
 * is a proxy into the network it runs in (a metadata service at 169.254.169.254, the database, an admin port).
 */
export interface SmtpTargetPolicy {
  /** Development only: any host and any port, for SMTP servers on this machine or a private network. */
  anyTarget: boolean;
  /** Ports a mailbox may use. */
  ports: ReadonlySet<number>;
  /** Networks allowed although they are not public (an internal relay), as ipaddr.js CIDRs. */
  networks: readonly CidrRange[];
}

/**
 * A network as ipaddr.js parses a CIDR. Exported from the package because the services' env schemas infer it and
 * their declarations must name it.
 * @public
 */
export type CidrRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** The SMTP ports in use on the Internet: relay, implicit TLS submission, submission, and the common alternative. */
export const defaultSmtpPorts: readonly number[] = [25, 465, 587, 2525];

/** IMAP's ports: STARTTLS and implicit TLS. A mailbox's IMAP server is held to the same networks as its SMTP one. */
const imapPorts: readonly number[] = [143, 993];

/** The policy for IMAP connections: the same networks, IMAP's ports (any port where any target is allowed). */
export function imapTargetPolicy(smtp: SmtpTargetPolicy): SmtpTargetPolicy {
  return { ...smtp, ports: new Set(imapPorts) };
}

export type RefusalReason = 'port' | 'address' | 'unresolved';

/** A host or port the policy refuses. The message names the address and why, never anything the remote sent. */
export class SmtpTargetRefusedError extends Error {
  override readonly name = 'SmtpTargetRefusedError';
  readonly code = 'ETARGET';

  constructor(
    message: string,
    readonly reason: RefusalReason,
  ) {
    super(message);
  }
}

/** ipaddr.js range names, as a person would say them. Every range but 'unicast' is refused. */
const rangeNames: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (where cloud metadata services answer)',
  loopback: 'a loopback address (this machine)',
  carrierGradeNat: 'a shared (carrier-grade NAT) address, where some clouds serve metadata',
  private: 'a private network address',
  uniqueLocal: 'a private (unique local) IPv6 address',
  reserved: 'a reserved address',
  deprecatedSiteLocal: 'a site-local IPv6 address',
};

/** Why the policy refuses this IP address, or undefined when it may be used. */
export function refusalOf(address: string, policy: SmtpTargetPolicy): string | undefined {
  if (policy.anyTarget) return undefined;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns an IPv4-mapped IPv6 address (::ffff:127.0.0.1) into the IPv4 address it carries.
    parsed = ipaddr.process(address);
  } catch {
    return `${address} is not an IP address`;
  }
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  if (policy.networks.some((network) => network[0].kind() === parsed.kind() && parsed.match(network))) {
    return undefined;
  }
  // Translation and tunnel prefixes (NAT64, 6to4, Teredo) embed an IPv4 address that could be anything.
  return rangeNames[range] ?? `a special-purpose address (${range})`;
}

function checkSmtpPort(port: number, policy: SmtpTargetPolicy): void {
  if (policy.anyTarget || policy.ports.has(port)) return;
  throw new SmtpTargetRefusedError(
    `port ${port} is not an SMTP port this installation allows (${[...policy.ports].join(', ')}; see SMTP_ALLOWED_PORTS)`,
    'port',
  );
}

export interface ResolvedSmtpTarget {
  /** Where to connect: an address the policy checked (or the host itself when any target is allowed). */
  address: string;
  /** The name TLS verifies the certificate against and sends as SNI: the host the user gave. */
  servername?: string;
}

export type LookupAll = (host: string) => Promise<Array<{ address: string; family: number }>>;

const lookupAll: LookupAll = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Resolves a mailbox's SMTP host and checks the port and every address it resolves to; connect to the address
 * returned, so a name that resolves differently a moment later (DNS rebinding) cannot move the connection. One
 * refused address refuses the host: a name that mixes public and internal addresses is not an SMTP server to trust.
 */
export async function resolveSmtpTarget(
  host: string,
  port: number,
  policy: SmtpTargetPolicy,
  lookup: LookupAll = lookupAll,
): Promise<ResolvedSmtpTarget> {
  checkSmtpPort(port, policy);
  if (policy.anyTarget) return { address: host };
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  let addresses: string[];
  if (ipaddr.isValid(literal)) {
    addresses = [literal];
  } else {
    try {
      addresses = (await lookup(host)).map((entry) => entry.address);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'an error';
      throw new SmtpTargetRefusedError(`${host} could not be resolved (${code})`, 'unresolved');
    }
    if (addresses.length === 0) throw new SmtpTargetRefusedError(`${host} has no address`, 'unresolved');
  }
  for (const address of addresses) {
    const refusal = refusalOf(address, policy);
    if (refusal !== undefined) {
      const where = address === literal ? `${address} is` : `${host} resolves to ${address},`;
      throw new SmtpTargetRefusedError(
        `${where} ${refusal}; SMTP servers must be public unless SMTP_ALLOWED_NETWORKS lists the network`,
        'address',
      );
    }
  }
  return addresses[0] === literal ? { address: literal } : { address: addresses[0]!, servername: host };
}
