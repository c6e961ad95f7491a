// Limits that keep a misbehaving window from handing main huge payloads: main's IPC schemas
// (ipc.ts) enforce them, and the window says so at the field before sending (a module of its own,
// so the window's bundle takes these numbers without ipc.ts's schemas).
import { DROPBOX_CODE_MAX } from './dropbox-code.js';

export const LIMITS = {
  text: 4096,
  path: 4096,
  code: DROPBOX_CODE_MAX,
  url: 2048,
  listItems: 500,
  logLines: 5000,
  historyPage: 1000,
} as const;
