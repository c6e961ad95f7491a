// SMTP settings in forms that cannot work, refused where a person types them (`settings set`):
// "smtp.example.org:587" was saved and every alert email then failed on a host that cannot be
// looked up. Not in the schema: a settings file already holding such a value would then stop the
// whole hub's syncing at its next start over an alert setting (it only breaks the email).

/** Why `value` cannot work as `key` (smtpHost, smtpUser), or null. */
export function smtpValueMistake(key: string, value: string): string | null {
  const v = value.trim();
  if (key === 'smtpHost') {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v))
      return 'SMTP server is a host name, without smtp:// or another scheme in front';
    const port = /^([^:[\]]+):(\d+)$/.exec(v);
    if (port)
      return `SMTP server is a host name alone: set smtpHost ${port[1]} smtpPort ${port[2]}`;
    if (/\s/.test(v)) return 'SMTP server name cannot hold spaces';
  }
  if (key === 'smtpUser' && /[\r\n]/.test(v)) return 'SMTP user name cannot hold a line break';
  return null;
}
