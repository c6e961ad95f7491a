// What to change when an SMTP send fails, from how it failed. nodemailer's and OpenSSL's words
// ("wrong version number", "Greeting never received", "getaddrinfo ENOTFOUND") name the symptom;
// a technician setting up alerts on a hub needs the setting that causes it.

export interface SmtpSetup {
  smtpHost: string;
  smtpPort: number;
  smtpSecurity: 'tls' | 'starttls' | 'none';
}

/** The setting to look at for `e`, or null when the failure names no setting. */
export function smtpHint(e: unknown, s: SmtpSetup): string | null {
  const err = e as { code?: string; responseCode?: number; message?: string; command?: string };
  const text = `${err.message ?? ''} ${err.code ?? ''}`;
  if (/wrong version number|packet length too long|unknown protocol/i.test(text)) {
    return s.smtpSecurity === 'tls'
      ? `port ${s.smtpPort} speaks plain SMTP, not TLS from the start: set smtpSecurity to starttls (usually port 587) or use the server's TLS port (usually 465)`
      : `the server on port ${s.smtpPort} expects TLS from the start: set smtpSecurity to tls`;
  }
  if (/ENOTFOUND|EAI_AGAIN|EDNS/.test(text))
    return `the name ${s.smtpHost} is not found: check smtpHost (and the hub's DNS)`;
  if (/ECONNREFUSED/.test(text))
    return `nothing takes connections on ${s.smtpHost} port ${s.smtpPort}: check smtpHost and smtpPort (587 with starttls, 465 with tls)`;
  if (/Greeting never received|ETIMEDOUT|Timeout/i.test(text))
    return `${s.smtpHost} port ${s.smtpPort} does not answer as a mail server in time: check smtpHost and smtpPort (587 with starttls, 465 with tls) and the network to it; a port that expects TLS at once needs smtpSecurity tls`;
  if (/STARTTLS/i.test(text) && s.smtpSecurity === 'starttls')
    return 'the server offers no STARTTLS on this port: use its TLS port with smtpSecurity tls, or smtpSecurity none on a trusted network only';
  if (err.code === 'EAUTH' || err.responseCode === 535)
    return 'the server refused the login: check smtpUser and its password (rdl-sync alert secret smtp-password)';
  if (err.code === 'EENVELOPE' || (err.responseCode !== undefined && err.responseCode >= 550))
    return 'the server refused the sender or a recipient: check alertEmailFrom (many relays take only their own domain) and alertEmailTo';
  if (/self[- ]signed|unable to verify|certificate/i.test(text))
    return "the server's certificate is not trusted: set smtpCaFile to the certificate of its authority";
  return null;
}
