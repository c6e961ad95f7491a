// The leg ids. They are persisted (journal and history files), cross IPC and name the renderer's
// columns, so they never change: a new destination gets a new id.
export const LEG_IDS = ['upload', 'archive'] as const;
export type LegId = (typeof LEG_IDS)[number];

export interface LegDescriptor {
  label: string;
  /** A network destination: while it cannot be reached, the engine is "offline". */
  network: boolean;
  /** Problem ids a blocked leg raises (one per cause); cleared when the leg is no longer blocked by it. */
  problemIds: readonly string[];
  /** Why a history record shows this leg skipped when it is turned off. */
  offReason: string;
}

export const LEGS: Record<LegId, LegDescriptor> = {
  upload: {
    label: 'Dropbox',
    network: true,
    problemIds: [
      'auth-revoked',
      'auth-missing',
      'quota-full',
      'remote-encrypted',
      'proxy-refused',
      'connection-untrusted',
      'offline',
      'clock-not-set',
    ],
    offReason: 'Dropbox upload is turned off',
  },
  archive: {
    label: 'Archive',
    network: false,
    problemIds: ['archive-missing', 'archive-full', 'archive-readonly'],
    offReason: 'The archive (SD card or folder) is turned off',
  },
};
