// The preload API must match the contract: same names at run time, same types at compile time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRdlApi, type IpcTransport } from '../../src/preload/api.js';
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  eventChannelName,
} from '../../src/shared/ipc-channels.js';
import { ipcContract, type IpcHandlers, type RdlApi } from '../../src/shared/ipc.js';

function transport() {
  const sent: [string, unknown[]][] = [];
  const listeners = new Map<string, Set<(e: unknown, p: unknown) => void>>();
  const ipc: IpcTransport = {
    invoke: async (channel, ...args) => {
      sent.push([channel, args]);
      return { ok: true, value: 'answer' };
    },
    on: (channel, l) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(l)),
    removeListener: (channel, l) => listeners.get(channel)?.delete(l),
  };
  const emit = (channel: string, payload: unknown) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: 'secret' }, payload);
  };
  return { ipc, sent, emit, listeners };
}

test('window.rdl has exactly one method per contract channel plus on<Event> per event', () => {
  const api = buildRdlApi(transport().ipc);
  const expected = [...INVOKE_CHANNELS, 'onStatus', 'onLog', 'onShowTab'].sort();
  assert.deepEqual(Object.keys(api).sort(), expected);
  assert.deepEqual(Object.keys(ipcContract).sort(), [...INVOKE_CHANNELS].sort());
  assert.equal(EVENT_CHANNELS.length, 3);
  for (const key of expected)
    assert.equal(typeof (api as unknown as Record<string, unknown>)[key], 'function');
  assert.ok(Object.isFrozen(api));
});

test('a call goes out on its prefixed channel with its arguments', async () => {
  const { ipc, sent } = transport();
  const api = buildRdlApi(ipc);
  assert.deepEqual(await api.pause(60_000), { ok: true, value: 'answer' });
  await api.queryHistory({ onlyFailures: true });
  assert.deepEqual(sent, [
    ['rdl:invoke:pause', [60_000]],
    ['rdl:invoke:queryHistory', [{ onlyFailures: true }]],
  ]);
});

test('a transport failure becomes an ok:false result, not a throw', async () => {
  const ipc: IpcTransport = {
    invoke: async () => {
      throw new Error('No handler registered');
    },
    on: () => {},
    removeListener: () => {},
  };
  const r = await buildRdlApi(ipc).getStatus();
  assert.deepEqual(r, {
    ok: false,
    error: { code: 'ipc-failed', message: 'No handler registered' },
  });
});

test('subscriptions pass the payload only and unsubscribe', () => {
  const { ipc, emit, listeners } = transport();
  const api = buildRdlApi(ipc);
  const got: unknown[] = [];
  const off = api.onShowTab((tab) => got.push(tab));
  emit(eventChannelName('showTab'), 'settings');
  off();
  emit(eventChannelName('showTab'), 'log');
  assert.deepEqual(got, ['settings']);
  assert.equal(listeners.get(eventChannelName('showTab'))?.size, 0);
});

test('type level: the API and the handler table are derived from the contract', () => {
  // These lines are checked by `tsc`; each @ts-expect-error fails the type-check if the
  // contract stopped catching the mistake.
  const api = buildRdlApi(transport().ipc);
  const typed: RdlApi = api;
  // @ts-expect-error pause takes a number or null, not a string
  void (() => typed.pause('1h'));
  // @ts-expect-error syncNow takes no arguments
  void (() => typed.syncNow(1));
  // @ts-expect-error no such channel
  void (() => typed.runShell('rm'));
  const wrongHandler: Pick<IpcHandlers, 'readLogTail'> = {
    // @ts-expect-error readLogTail must return LogLine[], not string
    readLogTail: () => 'lines',
  };
  assert.equal(typeof wrongHandler.readLogTail, 'function');
});
