// A TLS connection refused because the server's certificate could not be checked. Never a fault of
// one file or one try: every request to that host fails the same way until a person acts. Two
// causes are usual on the sites' networks:
//  - this machine's clock is wrong (a Raspberry Pi has no clock battery: it boots at 1970, or
//    where fake-hwclock left it, until network time sets it), so a valid certificate reads as
//    not yet valid or expired;
//  - something on the network answers in the server's place with a certificate this machine
//    does not trust: a firewall or proxy that inspects HTTPS (it needs its certificate authority
//    given to RDL Sync), or a Wi-Fi login page.
import fs from 'node:fs';
import { findInCauses } from './cause-chain.js';

/** OpenSSL's and Node's codes for a certificate that could not be checked. */
const UNTRUSTED_CODES =
  /^(UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED|CERT_REJECTED|CERT_SIGNATURE_FAILURE|CERT_CHAIN_TOO_LONG|CERT_REVOKED|INVALID_CA|INVALID_PURPOSE|ERR_TLS_CERT_ALTNAME_INVALID|CERT_NOT_YET_VALID|CERT_HAS_EXPIRED)$/;
/** Of those, the ones a wrong clock gives on a valid certificate. */
const CLOCK_CODES = /^(CERT_NOT_YET_VALID|CERT_HAS_EXPIRED)$/;

export interface UntrustedCertificate {
  code: string;
  /** The certificate's dates are what failed: the clock is the first suspect. */
  dates: boolean;
}

/** The certificate failure in `e` or its causes, or null. */
export function untrustedCertificate(e: unknown): UntrustedCertificate | null {
  return findInCauses(e, ({ code }) =>
    typeof code === 'string' && UNTRUSTED_CODES.test(code)
      ? { code, dates: CLOCK_CODES.test(code) }
      : null,
  );
}

const LOGIN_PAGE = 'if it is a Wi-Fi login page, log in';

/**
 * The fix for a certificate this machine does not trust, when the clock is not the cause. A
 * NODE_EXTRA_CA_CERTS already set is looked at: Node reads it at start and ignores one it cannot
 * use with no more than a warning on stderr, so "give RDL Sync the authority" was said to a
 * person who had, with a typo in the path.
 */
export function trustFix(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const file = env.NODE_EXTRA_CA_CERTS?.trim();
  const give =
    'give RDL Sync its certificate authority (NODE_EXTRA_CA_CERTS=/path/to/its-ca.pem in its environment, then restart it)';
  if (!file)
    return `if the network inspects HTTPS (a firewall or proxy of the site), ${give}; ${LOGIN_PAGE}`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    return `NODE_EXTRA_CA_CERTS names ${file}, which cannot be read (${code}), so no authority was added: correct the path (or the file's permissions for this user), then restart RDL Sync; ${LOGIN_PAGE}`;
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    return `NODE_EXTRA_CA_CERTS names ${file}, which holds no certificate (PEM: -----BEGIN CERTIFICATE-----), so no authority was added: export the network's certificate authority as PEM there, then restart RDL Sync; ${LOGIN_PAGE}`;
  return `the authorities in NODE_EXTRA_CA_CERTS (${file}) do not vouch for it: if the network inspects HTTPS, that file must hold the authority it signs with (then restart RDL Sync); ${LOGIN_PAGE}`;
}
