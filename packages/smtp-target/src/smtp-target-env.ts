import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { defaultSmtpPorts, type CidrRange, type SmtpTargetPolicy } from './smtp-target-policy.js';

const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

/** SMTP_ALLOWED_PORTS: comma-separated ports. */
const portList = z.string().transform((value, ctx) => {
  const ports = new Set<number>();
  for (const part of commaList(value)) {
    const port = Number(part);
    if (!/^\d+$/.test(part) || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not a port (1 to 65535)` });
      return z.NEVER;
    }
    ports.add(port);
  }
  if (ports.size === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one port' });
    return z.NEVER;
  }
  return ports;
});

/** SMTP_ALLOWED_NETWORKS: comma-separated CIDRs (10.1.2.3/32, fd00:1::/64). */
const cidrList = z.string().transform((value, ctx) => {
  const networks: CidrRange[] = [];
  for (const part of commaList(value)) {
    try {
      networks.push(ipaddr.parseCIDR(part));
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not a network in CIDR notation (e.g. 10.0.4.7/32)` });
      return z.NEVER;
    }
  }
  return networks;
});

/** Settings of every service that saves or connects to mailboxes' SMTP servers. */
export const smtpTargetEnv = {
  /** Ports a mailbox's SMTP server may listen on. Default 25,465,587,2525. Any port in development mode. */
  SMTP_ALLOWED_PORTS: portList.default(new Set(defaultSmtpPorts)),
  /**
   * Networks a mailbox's SMTP server may be in although they are not public (loopback, private, link-local and
   * other special ranges are refused), e.g. an internal relay: 10.0.4.7/32. Default none. Any address in
   * development mode.
   */
  SMTP_ALLOWED_NETWORKS: cidrList.default([]),
};

export function smtpTargetPolicyFromEnv(config: {
  OUTFLOW_MODE: 'production' | 'development';
  SMTP_ALLOWED_PORTS: Set<number>;
  SMTP_ALLOWED_NETWORKS: CidrRange[];
}): SmtpTargetPolicy {
  return {
    anyTarget: config.OUTFLOW_MODE === 'development',
    ports: config.SMTP_ALLOWED_PORTS,
    networks: config.SMTP_ALLOWED_NETWORKS,
  };
}
