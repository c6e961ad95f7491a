// npm run emulator -- [--port 8080] [--data DIR] [--fault JSON]... [--latency-ms N]
//   [--bandwidth-mbit N] [--quota-bytes N] [--token-ttl S] [--lock-window-ms N]
//   [--header-limit-bytes N] [--json]
// Prints the URL, admin token, app key and a ready refresh token, then serves until SIGINT.
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseFaultRule, type FaultRule } from './faults.js';
import { startEmulator } from './emulator.js';

const USAGE =
  'usage: npm run emulator -- [--port N] [--data DIR] [--fault JSON]... [--latency-ms N] ' +
  '[--bandwidth-mbit N] [--quota-bytes N] [--token-ttl SECONDS] [--lock-window-ms N] ' +
  '[--header-limit-bytes N] ' +
  '[--app-key KEY] [--app-secret SECRET] [--admin-token TOKEN] [--json]';

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`--${name} needs a non-negative number, got "${value}"`);
  }
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      fault: { type: 'string', multiple: true },
      'latency-ms': { type: 'string' },
      'bandwidth-mbit': { type: 'string' },
      'quota-bytes': { type: 'string' },
      'token-ttl': { type: 'string' },
      'lock-window-ms': { type: 'string' },
      'header-limit-bytes': { type: 'string' },
      'app-key': { type: 'string' },
      'app-secret': { type: 'string' },
      'admin-token': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const faults: FaultRule[] = (values.fault ?? []).map((text) => {
    try {
      return parseFaultRule(JSON.parse(text));
    } catch (err) {
      throw new Error(`--fault ${text}: ${(err as Error).message}`, { cause: err });
    }
  });
  if (values.data) mkdirSync(values.data, { recursive: true });
  const emu = await startEmulator({
    port: numberOption('port', values.port),
    dataDir: values.data,
    quotaBytes: numberOption('quota-bytes', values['quota-bytes']),
    accessTokenTtlSeconds: numberOption('token-ttl', values['token-ttl']),
    lockWindowMs: numberOption('lock-window-ms', values['lock-window-ms']),
    headerLimitBytes: numberOption('header-limit-bytes', values['header-limit-bytes']),
    appKey: values['app-key'],
    appSecret: values['app-secret'],
    adminToken: values['admin-token'],
  });
  for (const rule of faults) emu.addFault(rule);
  const mbit = numberOption('bandwidth-mbit', values['bandwidth-mbit']);
  emu.shapeLink({
    latencyMs: numberOption('latency-ms', values['latency-ms']),
    bytesPerSecond: mbit === undefined ? undefined : (mbit * 1_000_000) / 8,
  });
  const info = {
    url: emu.url,
    adminToken: emu.adminToken,
    appKey: emu.appKey,
    appSecret: emu.appSecret,
    refreshToken: emu.issueRefreshToken(),
    dataDir: emu.dataDir,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(info) + '\n');
  } else {
    process.stdout.write(
      [
        `Dropbox emulator listening on ${info.url}`,
        `  admin token:   ${info.adminToken}   (Bearer, for POST ${info.url}/__admin/<action>)`,
        `  app key:       ${info.appKey}`,
        `  app secret:    ${info.appSecret}`,
        `  refresh token: ${info.refreshToken}`,
        `  data dir:      ${info.dataDir}`,
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
  }
  const stop = () => {
    void emu.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`emulator: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
});
