// Hubs as they are deployed, built from the facts in WORKLOAD.md (not copied from any hub): the
// old syncer's working folder with its config.json and its stage folders, and the files the
// loggers leave in them. Each builder returns the folder a technician would pass as --root.
import fs from 'node:fs/promises';
import path from 'node:path';

async function put(root: string, rel: string, body: string | Buffer): Promise<void> {
  const p = path.join(root, ...rel.split('/'));
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, body);
}

/** An RDL logger line: timestamp and readings, about 200 bytes. */
function rdlLines(day: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    const t = `${day}T${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`;
    out +=
      `${t},USB0,T1=4.${i % 10},T2=5.${(i * 3) % 10},RH=81.${i % 7},P=1013.${i % 9},V=12.${(i * 7) % 10},CO2=412,PAR=0,flags=0x00,seq=${i}`.padEnd(
        199,
        ' ',
      ) + '\n';
  }
  return out;
}

/** The loggers' own keys that share the old config.json (RDL file format, cameras, email). */
export const LOGGER_KEYS = {
  RDL_FILEFORMAT_ACTIVE: 'daily',
  RDL_PORTS: ['/dev/ttyUSB0'],
  CAMERA_INTERVAL_MIN: 15,
  INFRARED_INTERVAL_MIN: 30,
  EMAIL_ENABLED: true,
  EMAIL_RECIPIENTS: ['ops@example.org'],
  SENDGRID_FROM: 'hub@example.org',
};

export interface HubFixture {
  /** What to pass as --root: the old syncer's working folder. */
  root: string;
  /** The folder holding the stage folders. */
  base: string;
  config: Record<string, unknown>;
  /** Files waiting in the watch folder (rel below it -> content). */
  toSync: Record<string, string | Buffer>;
  /** What the old syncer left queued in its transit folder. */
  inTransit: Record<string, string>;
  /** Still being written: must never move. */
  inProgress: Record<string, string>;
}

async function build(
  root: string,
  base: string,
  names: [string, string, string, string],
  config: Record<string, unknown>,
): Promise<HubFixture> {
  const [inprogress, tosync, transit, synced] = names;
  const fixture: HubFixture = {
    root,
    base,
    config,
    toSync: {
      'RDL/USB0/2026-11/RDL_2026-11-29_USB0.txt': rdlLines('2026-11-29', 40),
      'internet/internet_2026-11-29.txt': '2026-11-29T00:00:00,ping,8.8.8.8,23ms\n',
      'cameras/reolink1/2026-11-29/2026-11-29_10_15.jpg': Buffer.from([
        0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9,
      ]),
    },
    inTransit: { 'RDL/USB0/2026-11/RDL_2026-11-28_USB0.txt': rdlLines('2026-11-28', 12) },
    inProgress: { 'RDL/USB0/RDL_2026-11-30_USB0.txt': rdlLines('2026-11-30', 3) },
  };
  await fs.writeFile(path.join(root, 'config.json'), JSON.stringify(config, null, 4));
  for (const [rel, body] of Object.entries(fixture.toSync))
    await put(path.join(base, tosync), rel, body);
  for (const [rel, body] of Object.entries(fixture.inTransit))
    await put(path.join(base, transit), rel, body);
  for (const [rel, body] of Object.entries(fixture.inProgress))
    await put(path.join(base, inprogress), rel, body);
  await put(
    path.join(base, synced),
    'RDL/USB0/2026-11/RDL_2026-11-27_USB0.txt',
    rdlLines('2026-11-27', 5),
  );
  await fs.writeFile(path.join(base, 'sync.log'), '2026-11-29 00:00:01 synced 3 files\n');
  return fixture;
}

/** Current hubs (Pi 4B since mid-2024): logging-folder/1_inprogress…4_synced, SD_CARD_NAME "". */
export async function currentPiHub(root: string, site = 'Site3_Lakeshore'): Promise<HubFixture> {
  await fs.mkdir(root, { recursive: true });
  return build(
    root,
    path.join(root, 'logging-folder'),
    ['1_inprogress', '2_tosync', '3_transit', '4_synced'],
    {
      SITE: site,
      SD_CARD_NAME: '',
      ...LOGGER_KEYS,
    },
  );
}

/** An older hub: inprogress/tosync/transit/synced in the working folder, local archive. */
export async function olderPlainHub(root: string): Promise<HubFixture> {
  await fs.mkdir(root, { recursive: true });
  return build(root, root, ['inprogress', 'tosync', 'transit', 'synced'], {
    SITE: 'Site1_Quebec',
    SD_CARD_NAME: '',
    RDL_FILEFORMAT_ACTIVE: 'hourly',
  });
}

/** The seed's Orange Pi: archive on the card mounted at /media/orangepi/<SD_CARD_NAME>. */
export async function orangePiHub(root: string): Promise<HubFixture> {
  await fs.mkdir(root, { recursive: true });
  return build(root, root, ['inprogress', 'tosync', 'transit', 'synced'], {
    SD_CARD_NAME: 'SD1',
    SITE: 'Site0_Montreal',
  });
}

/** A config that predates SD_CARD_NAME altogether (numbered folders, no card key). */
export async function noCardKeyHub(root: string): Promise<HubFixture> {
  await fs.mkdir(root, { recursive: true });
  return build(
    root,
    path.join(root, 'logging-folder'),
    ['1_inprogress', '2_tosync', '3_transit', '4_synced'],
    {
      SITE: 'Site7_Farnham',
      EMAIL_ENABLED: false,
    },
  );
}
