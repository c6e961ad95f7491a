// A complete, valid StatusSnapshot to start from; tests override only what they are about.
import type { Problem, StatusSnapshot } from '../../src/engine/status/types.js';

export function statusFixture(overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    state: 'idle',
    sentence: 'Up to date.',
    counts: {
      waiting: 0,
      transit: 0,
      uploadPending: 0,
      archivePending: 0,
      failed: 0,
      doneThisRun: 0,
    },
    transfers: [],
    lastSuccessMs: null,
    lastPassMs: null,
    nextPassMs: null,
    pausedUntilMs: null,
    paused: false,
    archive: {
      enabled: true,
      path: '/media/sd',
      present: true,
      writable: true,
      freeBytes: 1e9,
      totalBytes: 2e9,
    },
    dropbox: {
      connected: true,
      accountName: 'Lab',
      email: 'lab@example.org',
      usedBytes: 1,
      allocatedBytes: 2,
      lastContactMs: null,
    },
    problems: [],
    ...overrides,
  };
}

export function problemFixture(overrides: Partial<Problem> = {}): Problem {
  return {
    id: 'archive-missing',
    code: 'archive-missing',
    severity: 'attention',
    message:
      'The SD card is not mounted at /media/sd: insert it. Nothing is lost; files wait in transit.',
    sinceMs: 0,
    tab: 'status',
    ...overrides,
  };
}
