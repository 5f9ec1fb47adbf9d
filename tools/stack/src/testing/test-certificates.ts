import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface TestCertificates {
  /** The certificate authority's certificate (PEM): what a client must be told to trust. */
  ca: string;
  /** The server's key and certificate (PEM), signed by that authority, for the names asked for. */
  key: string;
  cert: string;
}

/**
 * A private certificate authority and a server certificate it signed, as a company CA and an internal relay's
 * certificate would be: a client verifies the server only when it trusts this authority and connects by a name
 * the certificate carries. Valid for a day. Names: host names and IP addresses, default localhost and 127.0.0.1.
 */
export async function createTestCertificates(
  names: readonly string[] = ['localhost', '127.0.0.1'],
): Promise<TestCertificates> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 86_400_000);
  const validity = { notBeforeDate, notAfterDate, keyType: 'ec', algorithm: 'sha256' } as const;
  const authority = await generate([{ name: 'commonName', value: 'Outflow test CA' }], {
    ...validity,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
    ...validity,
    ca: { key: authority.private, cert: authority.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })),
      },
    ],
  });
  return { ca: authority.cert, key: server.private, cert: server.cert };
}
