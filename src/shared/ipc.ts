// The one IPC contract between the window and the main process. For each channel: a zod schema
// of its arguments (main validates every payload against it before a handler runs) and the type
// of its result. The preload API (RdlApi) and main's handler table (IpcHandlers) are both derived
// from it, so a handler or a window call that drifts from the contract is a compile error.
import * as z from 'zod';
import type { AccountInfo } from '../engine/ports.js';
import type { FieldIssue, LegacyImportReport, SettingsValidation } from '../engine/api.js';
import { settingsSchema, type SettingKey, type Settings } from '../engine/settings/schema.js';
import type { HistoryRecord, StatusSnapshot } from '../engine/status/types.js';
import type { ChannelResult } from '../engine/alerts/types.js';
import type { EventChannel, InvokeChannel, SubscribeMethod, TabId } from './ipc-channels.js';
import { TABS } from './ipc-channels.js';
import { dropboxCodeProblem } from './dropbox-code.js';
import type { Activity, FleetSnapshot } from './engine-types.js';

import { LIMITS } from './limits.js';

export { LIMITS };

const text = (max: number = LIMITS.text) => z.string().max(max, `is longer than ${max} characters`);

/** A settings value as the form sends it: not yet valid, but bounded and of a JSON shape. */
const scalarSettingValue = z.union([text(), z.number(), z.boolean(), z.null()]);
const listSettingValue = z
  .array(text())
  .max(LIMITS.listItems, `has more than ${LIMITS.listItems} items`);

const settingKeys = Object.keys(settingsSchema.shape) as SettingKey[];

/**
 * A settings candidate from the window: only known setting names, bounded values. Whether the
 * values are *valid* settings is the engine's schema's job, so its field messages reach the form.
 */
export const settingsCandidateSchema = z.strictObject(
  Object.fromEntries(
    settingKeys.map((key) => [
      key,
      (settingsSchema.shape[key] instanceof z.ZodArray
        ? listSettingValue
        : scalarSettingValue
      ).optional(),
    ]),
  ) as Record<SettingKey, z.ZodOptional<typeof scalarSettingValue | typeof listSettingValue>>,
);

/** The fields that shape the remote path, checked with the engine's own schema (no refinements). */
export const remotePathCandidateSchema = z.strictObject(settingsSchema.shape).partial();

export const historyQuerySchema = z.strictObject({
  limit: z.number().int().min(1).max(LIMITS.historyPage).optional(),
  beforeId: z.number().int().min(0).optional(),
  onlyFailures: z.boolean().optional(),
  search: text(200).optional(),
});

/**
 * Loopback hosts, the only ones plain http may name: the demo's Dropbox emulator (and a test's)
 * listens on 127.0.0.1, and its authorize page never leaves this machine. Any other http page
 * could be read or changed on the way.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Only https may leave the app for the system browser (never file: or javascript:), and plain
 * http only to this machine. Main opens only the address it issued itself besides (handlers.ts).
 */
export const authorizeUrlSchema = text(LIMITS.url).refine(
  (u) => {
    try {
      const url = new URL(u);
      const secure =
        url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
      return secure && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  },
  {
    message:
      'must be an https:// address (the Dropbox authorize page), or an http:// one on this machine (the demo’s local emulator)',
  },
);

export const FOLDER_PURPOSES = ['watch', 'transit', 'archive'] as const;
export const FILE_PURPOSES = ['legacyConfig', 'uploaderConfig'] as const;
export const OPEN_PATH_KINDS = ['watch', 'transit', 'archive', 'log', 'config'] as const;

export type FolderPurpose = (typeof FOLDER_PURPOSES)[number];
export type FilePurpose = (typeof FILE_PURPOSES)[number];
export type OpenPathKind = (typeof OPEN_PATH_KINDS)[number];

/** How a setting is edited in the window; derived from the schema in main. */
export interface SettingField {
  key: SettingKey;
  label: string;
  description: string;
  kind: 'folder' | 'text' | 'boolean' | 'integer' | 'choice' | 'list';
  choices?: string[];
  min?: number;
  max?: number;
  /** A number with a fraction (the silence factor, 1.5 at least): any step, not whole ones. */
  fractional?: boolean;
  /** Shown, never changed in the window: how it is set instead (main/window-fixed-settings.ts). */
  fixed?: string;
}

export interface CredentialStorageInfo {
  /** True when the refresh token is encrypted by the OS keychain (safeStorage). */
  encrypted: boolean;
  /** e.g. 'keychain', 'dpapi', 'gnome_libsecret', 'kwallet5', 'basic_text', 'file'. */
  backend: string;
  /** Where the token lives on disk. */
  location: string;
  /** A plain sentence for the window. */
  summary: string;
}

export interface AppInfo {
  version: string;
  platform: string;
  credentials: CredentialStorageInfo;
  startAtLogin: boolean;
  configPath: string;
  logPath: string;
  /** Set when no tray host shows the icon: the app runs as a window (window-mode.ts). */
  windowModeNote: string | null;
}

/** The old RDL syncer found on this machine (main/old-setup-finder.ts). */
export interface OldSetup {
  /** The old syncer's working folder (what `rdl-sync import-legacy --root` takes). */
  root: string;
  configJsonPath: string;
  /** The watch folder found there (2_tosync or tosync). */
  watchDir: string;
  /** ~/.dropbox_uploader of the same user, when present. */
  uploaderConfigPath: string | null;
}

/** The running demo (main/demo-mode.ts). */
export interface DemoInfo {
  /** `<config>/demo/`: everything the demo made, removed when it is left. */
  folder: string;
  /** The emulator's address on 127.0.0.1. */
  dropboxUrl: string;
  watchDir: string;
}

export type PreviewResult = { ok: true; path: string } | { ok: false; message: string };

/** A log line as the window shows it (already redacted by main). */
export interface LogLine {
  text: string;
  level: 'debug' | 'info' | 'warn' | 'error';
}

/** A channel's spec: argument tuple schema plus a phantom result type. */
export interface CallSpec<A extends z.ZodTuple, R> {
  args: A;
  /** Never read at run time; carries the result type. */
  result?: R;
}

function call<R>() {
  return <A extends z.ZodTuple>(args: A): CallSpec<A, R> => ({ args });
}

const none = () => z.tuple([]);

export const ipcContract = {
  getStatus: call<StatusSnapshot>()(none()),
  syncNow: call<null>()(none()),
  pause: call<null>()(
    z.tuple([
      z
        .number()
        .int('must be whole milliseconds')
        .min(1_000, 'must be at least 1000 ms')
        .max(31 * 86_400_000, 'must be at most 31 days')
        .nullable(),
    ]),
  ),
  resume: call<null>()(none()),
  queryHistory: call<HistoryRecord[]>()(z.tuple([historyQuerySchema])),
  getSettings: call<Settings>()(none()),
  getSettingsFields: call<SettingField[]>()(none()),
  validateSettings: call<SettingsValidation>()(z.tuple([settingsCandidateSchema])),
  // The form's values, and what the form was filled with: only the fields changed from those are
  // saved, over the file as it is now (a change made meanwhile elsewhere is kept).
  saveSettings: call<SettingsValidation>()(
    z.tuple([settingsCandidateSchema, settingsCandidateSchema.optional()]),
  ),
  previewRemotePath: call<PreviewResult>()(
    z.tuple([remotePathCandidateSchema, text(1024).min(1, 'is empty')]),
  ),
  connectDropboxStart: call<{ authorizeUrl: string }>()(none()),
  openAuthorizeUrl: call<null>()(z.tuple([authorizeUrlSchema])),
  connectDropboxFinish: call<AccountInfo>()(
    z.tuple([
      z
        .string()
        .max(LIMITS.text, `is longer than ${LIMITS.text} characters`)
        .trim()
        .superRefine((code, ctx) => {
          const problem = dropboxCodeProblem(code);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    ]),
  ),
  disconnectDropbox: call<null>()(none()),
  importLegacy: call<LegacyImportReport>()(
    z.tuple([
      z.strictObject({
        configJsonPath: text(LIMITS.path).min(1, 'is empty: choose the old config.json'),
        uploaderConfigPath: text(LIMITS.path).optional(),
      }),
    ]),
  ),
  pickFolder: call<string | null>()(z.tuple([z.enum(FOLDER_PURPOSES)])),
  pickFile: call<string | null>()(z.tuple([z.enum(FILE_PURPOSES)])),
  openPath: call<null>()(z.tuple([z.enum(OPEN_PATH_KINDS)])),
  readLogTail: call<LogLine[]>()(z.tuple([z.number().int().min(1).max(LIMITS.logLines)])),
  getAppInfo: call<AppInfo>()(none()),
  setStartAtLogin: call<boolean>()(z.tuple([z.boolean()])),
  /** The window's own errors, so they reach the log file (main redacts them). */
  logFromWindow: call<null>()(z.tuple([z.enum(['warn', 'error']), text()])),
  // fleet (issue 10): the Status chart's 24 hours, and every site's heartbeat from Dropbox.
  getActivity: call<Activity>()(none()),
  readFleet: call<FleetSnapshot>()(none()),
  /** A test alert through every configured channel; each channel's outcome. */
  sendTestAlert: call<ChannelResult[]>()(none()),
  /** Quit from the window: the only way out when no tray host shows the tray menu. */
  quitApp: call<null>()(none()),
  /** The old RDL syncer's folders on this machine, for the first-run setup's import. */
  findOldSetups: call<OldSetup[]>()(none()),
  /** "Try the demo": the app against the bundled Dropbox emulator, in `<config>/demo/`. */
  startDemo: call<DemoInfo>()(none()),
  /** Stops the demo and deletes `<config>/demo/`; the real settings are never touched. */
  leaveDemo: call<null>()(none()),
  /** The running demo, or null (a reopened window shows the banner again). */
  demoState: call<DemoInfo | null>()(none()),
} satisfies { [K in InvokeChannel]: CallSpec<z.ZodTuple, unknown> };

// The contract must name exactly the channels of ipc-channels.ts, no more and no fewer.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const contractCoversChannels: Exactly<keyof typeof ipcContract, InvokeChannel> = true;
void contractCoversChannels;

type Contract = typeof ipcContract;
/** Arguments as the window passes them. */
export type ArgsIn<K extends InvokeChannel> = z.input<Contract[K]['args']>;
/** Arguments as a handler receives them, after validation. */
export type ArgsOf<K extends InvokeChannel> = z.output<Contract[K]['args']>;
export type ResultOf<K extends InvokeChannel> = Exclude<Contract[K]['result'], undefined>;

export interface IpcError {
  /** 'invalid-arguments' | 'forbidden-sender' | 'unknown-channel' | an engine ErrorCode | 'failed'. */
  code: string;
  message: string;
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** Main's side: one handler per channel, receiving validated arguments. */
export type IpcHandlers = {
  [K in InvokeChannel]: (...args: ArgsOf<K>) => ResultOf<K> | Promise<ResultOf<K>>;
};

/** The window's side: one method per channel; never throws, failures come back as `ok: false`. */
export type RdlInvokeApi = {
  [K in InvokeChannel]: (...args: ArgsIn<K>) => Promise<IpcResult<ResultOf<K>>>;
};

export interface EventPayloads {
  status: StatusSnapshot;
  log: LogLine[];
  showTab: TabId;
}

type Unsubscribe = () => void;

export interface RdlEventApi {
  onStatus(listener: (status: EventPayloads['status']) => void): Unsubscribe;
  onLog(listener: (lines: EventPayloads['log']) => void): Unsubscribe;
  onShowTab(listener: (tab: EventPayloads['showTab']) => void): Unsubscribe;
}

// Each event has exactly one subscription method, named on<Event>.
const eventsCovered: Exactly<keyof RdlEventApi, SubscribeMethod<EventChannel>> = true;
void eventsCovered;

/** What `window.rdl` is. */
export type RdlApi = RdlInvokeApi & RdlEventApi;

export const tabSchema = z.enum(TABS);

export type { FieldIssue, TabId };
