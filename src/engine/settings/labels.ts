import type { SettingKey } from './schema.js';

/** Names people see for each setting (window labels, validation messages, import reports). */
export const SETTING_LABELS: Record<SettingKey, string> = {
  watchDir: 'Watch folder',
  transitDir: 'Transit folder',
  archiveEnabled: 'Archive on',
  archiveDir: 'Archive folder',
  archiveMustBeMountPoint: 'Archive must be a mounted card',
  site: 'Site name',
  remoteRootTemplate: 'Remote folder',
  scheduleMode: 'Schedule',
  intervalSeconds: 'Interval',
  cron: 'Cron expression',
  stableSeconds: 'Stable time',
  ignorePatterns: 'Ignore patterns',
  concurrency: 'Concurrency',
  chunkSizeMiB: 'Chunk size',
  conflictPolicy: 'Conflict policy',
  dropboxAppKey: 'Dropbox app key',
  dropboxEndpoint: 'Dropbox endpoint',
  offlineAlertMinutes: 'Offline alert',
  historyLimit: 'History size',
  startAtLogin: 'Start at login',
  diskFullPercent: 'Disk warning level',
  retentionEnabled: 'Archive retention',
  retentionMaxArchiveGiB: 'Archive size limit',
  retentionMinFreePercent: 'Free-space floor',
  silentSourceFactor: 'Silence factor',
  silentSourceMinSamples: 'Samples to learn',
  silentSourceOverrides: 'Silence limits',
  fleetHeartbeatEnabled: 'Fleet heartbeat',
  fleetHeartbeatMinutes: 'Heartbeat interval (minutes)',
  fleetFolder: 'Fleet folder',
  alertReminderHours: 'Alert reminder',
  alertFlapMinutes: 'Alert repeat guard',
  alertEmailTo: 'Alert recipients',
  alertEmailFrom: 'Alert sender',
  smtpHost: 'SMTP server',
  smtpPort: 'SMTP port',
  smtpSecurity: 'SMTP security',
  smtpUser: 'SMTP user',
  smtpCaFile: 'SMTP extra CA',
  alertWebhookFormat: 'Alert webhook',
  alertCommand: 'Alert command',
  alertCommandTimeoutSeconds: 'Alert command timeout',
  digestSchedule: 'Digest',
  digestHour: 'Digest hour',
};

export const SETTING_KEYS = Object.keys(SETTING_LABELS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTING_LABELS, key);
}
