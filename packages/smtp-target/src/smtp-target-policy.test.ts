import { describe, expect, it } from '@jest/globals';
import { smtpTargetEnv, smtpTargetPolicyFromEnv } from './smtp-target-env.js';
import {
  defaultSmtpPorts,
  refusalOf,
  resolveSmtpTarget,
  SmtpTargetRefusedError,
  type LookupAll,
  type SmtpTargetPolicy,
} from './smtp-target-policy.js';

const production: SmtpTargetPolicy = { anyTarget: false, ports: new Set(defaultSmtpPorts), networks: [] };
const resolvesTo =
  (...addresses: string[]): LookupAll =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const refusal = async (promise: Promise<unknown>): Promise<SmtpTargetRefusedError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SmtpTargetRefusedError) return error;
    throw error;
  }
  throw new Error('expected the target to be refused');
};

describe('refusalOf', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.8.9.10', /loopback/],
    ['::1', /loopback/],
    ['::ffff:127.0.0.1', /loopback/], // IPv4-mapped
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local.*metadata/], // AWS, GCP, Azure metadata
    ['fe80::1', /link-local/],
    ['fd00:ec2::254', /unique local/], // AWS metadata over IPv6
    ['100.100.100.200', /carrier-grade NAT/], // Alibaba Cloud metadata
    ['192.0.0.192', /reserved/], // Oracle Cloud metadata
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['64:ff9b::7f00:1', /special-purpose/], // NAT64 of 127.0.0.1
    ['2002:7f00:1::1', /special-purpose/], // 6to4 of 127.0.0.1
    ['not-an-ip', /not an IP address/],
  ])('refuses %s', (address, reason) => {
    expect(refusalOf(address, production)).toMatch(reason);
  });

  it.each(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::ffff:93.184.215.14'])(
    'allows the public address %s',
    (address) => {
      expect(refusalOf(address, production)).toBeUndefined();
    },
  );

  it('allows a private network that is configured, and only that one', () => {
    const config = { SMTP_ALLOWED_NETWORKS: '10.0.4.7/32, fd00:1::/64', OUTFLOW_MODE: 'production' } as const;
    const parsed = {
      OUTFLOW_MODE: config.OUTFLOW_MODE,
      SMTP_ALLOWED_PORTS: smtpTargetEnv.SMTP_ALLOWED_PORTS.parse(undefined),
      SMTP_ALLOWED_NETWORKS: smtpTargetEnv.SMTP_ALLOWED_NETWORKS.parse(config.SMTP_ALLOWED_NETWORKS),
    };
    const policy = smtpTargetPolicyFromEnv(parsed);
    expect(refusalOf('10.0.4.7', policy)).toBeUndefined();
    expect(refusalOf('fd00:1::25', policy)).toBeUndefined();
    expect(refusalOf('10.0.4.8', policy)).toMatch(/private/);
    expect(refusalOf('127.0.0.1', policy)).toMatch(/loopback/);
  });

  it('allows anything in development mode', () => {
    expect(refusalOf('127.0.0.1', { ...production, anyTarget: true })).toBeUndefined();
  });
});

describe('resolveSmtpTarget', () => {
  it('connects to the checked address and verifies TLS against the name the user gave', async () => {
    await expect(resolveSmtpTarget('smtp.example.com', 587, production, resolvesTo('93.184.215.14'))).resolves.toEqual({
      address: '93.184.215.14',
      servername: 'smtp.example.com',
    });
    await expect(resolveSmtpTarget('93.184.215.14', 25, production, resolvesTo())).resolves.toEqual({
      address: '93.184.215.14',
    });
    await expect(resolveSmtpTarget('[2606:2800::1]', 25, production, resolvesTo())).resolves.toEqual({
      address: '2606:2800::1',
    });
  });

  it('refuses a name when any of its addresses is internal (DNS that mixes them, or rebinding)', async () => {
    const error = await refusal(
      resolveSmtpTarget('smtp.evil.test', 587, production, resolvesTo('93.184.215.14', '169.254.169.254')),
    );
    expect(error).toMatchObject({ reason: 'address', code: 'ETARGET' });
    expect(error.message).toBe(
      'smtp.evil.test resolves to 169.254.169.254, a link-local address (where cloud metadata services answer); ' +
        'SMTP servers must be public unless SMTP_ALLOWED_NETWORKS lists the network',
    );
  });

  it('refuses literal internal addresses without asking DNS', async () => {
    const never: LookupAll = async () => {
      throw new Error('DNS must not be asked for an IP literal');
    };
    expect((await refusal(resolveSmtpTarget('169.254.169.254', 25, production, never))).message).toMatch(
      /^169\.254\.169\.254 is a link-local/,
    );
    expect((await refusal(resolveSmtpTarget('[::1]', 25, production, never))).reason).toBe('address');
  });

  it('resolves with the real resolver: localhost is this machine', async () => {
    expect((await refusal(resolveSmtpTarget('localhost', 587, production))).message).toMatch(
      /^localhost resolves to (127\.0\.0\.1|::1), a loopback address/,
    );
  });

  it('refuses ports that are not SMTP ports unless configured, and says which are allowed', async () => {
    const error = await refusal(resolveSmtpTarget('93.184.215.14', 80, production, resolvesTo()));
    expect(error).toMatchObject({ reason: 'port' });
    expect(error.message).toBe(
      'port 80 is not an SMTP port this installation allows (25, 465, 587, 2525; see SMTP_ALLOWED_PORTS)',
    );
    const custom = { ...production, ports: smtpTargetEnv.SMTP_ALLOWED_PORTS.parse('2587') };
    await expect(resolveSmtpTarget('93.184.215.14', 2587, custom, resolvesTo())).resolves.toBeDefined();
  });

  it('says when a name does not resolve', async () => {
    const missing: LookupAll = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    const error = await refusal(resolveSmtpTarget('smtp.typo.example', 587, production, missing));
    expect(error).toMatchObject({
      reason: 'unresolved',
      message: 'smtp.typo.example could not be resolved (ENOTFOUND)',
    });
  });

  it('in development connects anywhere and leaves resolution to the connection', async () => {
    await expect(
      resolveSmtpTarget('localhost', 8025, { ...production, anyTarget: true }, resolvesTo()),
    ).resolves.toEqual({ address: 'localhost' });
  });
});

describe('settings', () => {
  it('refuses malformed ports and networks with a clear message', () => {
    expect(smtpTargetEnv.SMTP_ALLOWED_PORTS.safeParse('25,http').error?.issues[0]?.message).toBe(
      '"http" is not a port (1 to 65535)',
    );
    expect(smtpTargetEnv.SMTP_ALLOWED_NETWORKS.safeParse('10.0.0.0').error?.issues[0]?.message).toBe(
      '"10.0.0.0" is not a network in CIDR notation (e.g. 10.0.4.7/32)',
    );
  });
});
