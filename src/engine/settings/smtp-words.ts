// SMTP settings in forms that cannot work, refused where a person types them (`settings set`, the
// window's save, settings-service.ts): "smtp.example.org:587" was saved and every alert email then
// failed on a host that cannot be looked up. Not in the schema: a settings file already holding
// such a value would then stop the whole hub's syncing at its next start over an alert setting
// (it only breaks the email).

import type { FieldIssue, SettingsValidation } from '../api.js';

/** Who is told: `cli` names settings as `settings set` takes them, `form` as the window labels them. */
export type SmtpWordsFor = 'cli' | 'form';

/** Why `value` cannot work as `key` (smtpHost, smtpUser), or null. */
export function smtpValueMistake(
  key: string,
  value: string,
  wordsFor: SmtpWordsFor = 'cli',
): string | null {
  const v = value.trim();
  if (key === 'smtpHost') {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v))
      return 'SMTP server is a host name, without smtp:// or another scheme in front';
    const port = /^([^:[\]]+):(\d+)$/.exec(v);
    if (port)
      return wordsFor === 'cli'
        ? `SMTP server is a host name alone: set smtpHost ${port[1]} smtpPort ${port[2]}`
        : `SMTP server is a host name alone: put ${port[1]} here and ${port[2]} in SMTP port`;
    if (/\s/.test(v)) return 'SMTP server name cannot hold spaces';
  }
  if (key === 'smtpUser' && /[\r\n]/.test(v)) return 'SMTP user name cannot hold a line break';
  return null;
}

/** The SMTP values among `fields` that cannot work, as the window's field messages. */
export function smtpIssues(fields: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [field, value] of Object.entries(fields)) {
    const message = typeof value === 'string' ? smtpValueMistake(field, value, 'form') : null;
    if (message) issues.push({ field, message });
  }
  return issues;
}

/** `result` with the SMTP mistakes among `fields` added (it is then not ok). */
export function withSmtpMistakes(
  result: SettingsValidation,
  fields: Record<string, unknown>,
): SettingsValidation {
  const smtp = smtpIssues(fields);
  if (smtp.length === 0) return result;
  const others = result.ok
    ? []
    : result.issues.filter((i) => !smtp.some((s) => s.field === i.field));
  return { ok: false, issues: [...smtp, ...others] };
}
