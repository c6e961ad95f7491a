// Runs one IPC call: checks who sent it, validates its arguments against the contract, runs the
// handler and wraps the outcome as IpcResult. No Electron here, so all of it is tested in Node;
// ipc.ts only adapts ipcMain's events to this.
import type { z } from 'zod';
import { isSyncError } from '../engine/index.js';
import { ipcContract, type IpcError, type IpcHandlers, type IpcResult } from '../shared/ipc.js';
import { isInvokeChannel } from '../shared/ipc-channels.js';

/** What main knows about the frame an IPC message came from. */
export interface SenderInfo {
  webContentsId: number;
  /** URL of the sending frame (event.senderFrame.url). */
  frameUrl: string;
}

export type SenderCheck = (sender: SenderInfo) => boolean;

/**
 * Accepts only messages from our own window's web contents, from the page we loaded
 * (rdl-sync://app/index.html in the app, or the test server), never from an iframe or a page
 * navigated elsewhere.
 */
export function ownWindowSenderCheck(
  ownIds: () => readonly number[],
  rendererUrl: string,
): SenderCheck {
  const expected = pageOf(rendererUrl);
  return (sender) =>
    ownIds().includes(sender.webContentsId) && pageOf(sender.frameUrl) === expected;
}

/** The page part of a URL: scheme, host and path, without query or fragment. */
function pageOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return null;
  }
}

export type Dispatch = (
  channel: string,
  sender: SenderInfo,
  args: unknown[],
) => Promise<IpcResult<unknown>>;

export interface DispatcherOptions {
  /** Scrubs secrets from error messages before they reach the window. */
  redact?: (text: string) => string;
  onRejected?: (channel: string, error: IpcError) => void;
}

export function createDispatcher(
  handlers: IpcHandlers,
  isTrusted: SenderCheck,
  options: DispatcherOptions = {},
): Dispatch {
  const redact = options.redact ?? ((t: string) => t);
  const reject = (channel: string, error: IpcError): IpcResult<unknown> => {
    options.onRejected?.(channel, error);
    return { ok: false, error };
  };

  return async (channel, sender, args) => {
    if (!isTrusted(sender)) {
      return reject(channel, {
        code: 'forbidden-sender',
        message: `Refused "${channel}": the call did not come from the RDL Sync window.`,
      });
    }
    if (!isInvokeChannel(channel)) {
      return reject(channel, { code: 'unknown-channel', message: `Unknown call "${channel}".` });
    }
    const parsed = (ipcContract[channel].args as z.ZodTuple).safeParse(args);
    if (!parsed.success) {
      return reject(channel, {
        code: 'invalid-arguments',
        message: describeIssues(channel, parsed.error),
      });
    }
    const handler = handlers[channel] as (...a: unknown[]) => unknown;
    try {
      const value = await handler(...(parsed.data as unknown[]));
      return { ok: true, value: value === undefined ? null : value };
    } catch (err) {
      if (isSyncError(err))
        return { ok: false, error: { code: err.code, message: redact(err.message) } };
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, error: { code: 'failed', message: redact(message) } };
    }
  };
}

/** "pause: argument 1 must be at least 1000 ms" — one line per issue, naming where. */
export function describeIssues(channel: string, error: z.ZodError): string {
  const lines = error.issues.slice(0, 5).map((issue) => {
    const [index, ...rest] = issue.path;
    const where =
      typeof index === 'number'
        ? `argument ${index + 1}${rest.length > 0 ? ` field "${rest.join('.')}"` : ''}`
        : 'arguments';
    return `${where}: ${issue.message}`;
  });
  return `Invalid call to ${channel}: ${lines.join('; ')}.`;
}
