// The daemon's environment in build/rdl-sync.service keeps large blocks out of glibc's main heap.
// Without it, freeing one large block (a file read whole, the history rewritten) raises malloc's
// mmap threshold, later large blocks land in the main heap and its fragmentation keeps them
// resident: the year benchmark saw RSS creep up 16 MB over 20,000 files, all of it in [heap].
// Here a real Node process frees a 4 MiB buffer and then holds eight 1 MiB buffers: with the
// unit's environment they are mapped on their own (the main heap does not grow); without it they
// grow the main heap by about 8 MiB (the control, which shows the test can see the difference).
// The main heap grows in place only while nothing is mapped right after it. In about 1 run in 150
// under load, address-space randomisation puts a small mapping at the heap's very end; glibc then
// extends its main arena with an anonymous mapping instead, [heap] stays still and both readings
// would say nothing (the control failed that way in CI with "grew 0.00 MiB"). The probe reports the
// room after the heap, and a run without room is done again in a fresh process (a new layout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { unitEnvironment } from '../../tools/bench/daemon-env.js';

const PROBE = `
const fs = require('node:fs');
const v8 = require('node:v8');
const vm = require('node:vm');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const mainHeap = () => {
  const smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf('[heap]');
  return at < 0 ? 0 : Number(/Rss:\\s+(\\d+)/.exec(smaps.slice(at))[1]) * 1024;
};
let big = Buffer.alloc(4 * 1024 * 1024);
big[1] = 1;
big = null;
gc();
gc();
const before = mainHeap();
const roomAfterHeap = (() => {
  const lines = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n');
  const at = lines.findIndex((line) => line.endsWith('[heap]'));
  if (at < 0) return 0;
  const end = parseInt(lines[at].split(/[- ]/)[1], 16);
  const next = lines[at + 1] ? parseInt(lines[at + 1].split('-')[0], 16) : Infinity;
  return next - end;
})();
const held = [];
for (let i = 0; i < 8; i++) held.push(Buffer.allocUnsafe(1024 * 1024).fill(7));
process.stdout.write(JSON.stringify({ grew: mainHeap() - before, roomAfterHeap, held: held.length }));
`;

// The eight buffers and malloc's own padding: 16 MiB leaves room to spare.
const ROOM_NEEDED = 16 * 1024 * 1024;

interface Reading {
  grew: number;
  roomAfterHeap: number | null;
}

function probeOnce(env: Record<string, string>): Promise<Reading> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_')),
  );
  const child = spawn(process.execPath, ['-e', PROBE], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the probe did not finish in 20 s'));
    }, 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`probe exited ${code}: ${out}`));
      resolve(JSON.parse(out) as Reading);
    });
  });
}

/** The main heap's growth, read in a process whose heap had room to grow in place. */
async function probe(env: Record<string, string>): Promise<number> {
  const rooms: string[] = [];
  for (let attempt = 0; attempt < 6; attempt++) {
    const reading = await probeOnce(env);
    // JSON has no Infinity: null means nothing is mapped after the heap at all.
    const room = reading.roomAfterHeap ?? Number.POSITIVE_INFINITY;
    if (room >= ROOM_NEEDED) return reading.grew;
    rooms.push(`${(room / 1024).toFixed(0)} KiB`);
  }
  throw new Error(`no probe had room after its main heap (room: ${rooms.join(', ')})`);
}

test('the systemd unit fixes the mmap threshold, so large buffers never settle in the main heap', async () => {
  const env = unitEnvironment();
  assert.equal(env.MALLOC_MMAP_THRESHOLD_, '131072', 'the unit sets a fixed mmap threshold');
  const MiB = 1024 * 1024;
  const withUnit = await probe(env);
  const without = await probe({});
  assert.ok(
    withUnit < 1 * MiB,
    `with the unit's environment the main heap grew ${(withUnit / MiB).toFixed(2)} MiB`,
  );
  assert.ok(
    without > 4 * MiB,
    `control: without it the main heap should take the buffers (grew ${(without / MiB).toFixed(2)} MiB)`,
  );
});
