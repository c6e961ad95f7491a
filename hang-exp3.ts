import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from './tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from './test/engine/harness.js';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const emu = await startEmulator({});
const dirs = await makeDirs('hang-exp3-');
const img = path.join(dirs.root, 'card.img');
spawnSync('truncate', ['-s', '64M', img]);
spawnSync('mkfs.vfat', ['-F', '32', img]);
const fuse = spawn('fusefat', ['-f', '-s', '-o', 'rw+', img, dirs.archiveDir], { stdio: 'ignore' });
await sleep(1000);
await writeConfig(dirs.configDir, testSettings(dirs, emu, { intervalSeconds: 5 }), emu);
for (let i = 0; i < 3000; i++) {
  const d = path.join(dirs.watchDir, 'A', String(i % 30));
  await fs.mkdir(d, { recursive: true });
  await fs.writeFile(path.join(d, `f${i}.csv`), `row ${i}\n`.repeat(100));
}
const d = spawn('node', ['bin/rdl-sync.js', 'run', '--config-dir', dirs.configDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: '24' } });
let out = '';
d.stdout.on('data', (b) => (out += b));
d.stderr.on('data', (b) => (out += b));
const status = () => spawnSync('node', ['bin/rdl-sync.js', 'status', '--config-dir', dirs.configDir], { encoding: 'utf8' }).stdout;
for (let i = 0; i < 200; i++) {
  await sleep(100);
  const n = spawnSync('sh', ['-c', `ls ${dirs.archiveDir}/A/0 2>/dev/null | wc -l`], { encoding: 'utf8' }).stdout.trim();
  if (Number(n) > 3) break;
}
process.kill(fuse.pid!, 'SIGSTOP');
console.log('frozen; dropbox files:', emu.listFiles().length);
for (let t = 0; t < 4; t++) {
  await sleep(45000);
  console.log(`--- +${(t + 1) * 45}s frozen; dropbox files: ${emu.listFiles().length}; daemon threads: ${spawnSync('sh', ['-c', `ls /proc/${d.pid}/task | wc -l`], { encoding: 'utf8' }).stdout.trim()}`);
  console.log(status().split('\n').slice(0, 4).join('\n'));
}
process.kill(fuse.pid!, 'SIGCONT');
await sleep(60000);
console.log('--- resumed; dropbox files:', emu.listFiles().length);
console.log(status().split('\n').slice(0, 5).join('\n'));
const onCard = spawnSync('sh', ['-c', `find ${dirs.archiveDir}/A -type f | wc -l`], { encoding: 'utf8' }).stdout.trim();
console.log('on card:', onCard);
d.kill('SIGTERM');
await sleep(3000);
console.log('daemon output tail:\n', out.split('\n').filter((l) => !l.includes('fleet')).slice(-12).join('\n'));
spawnSync('fusermount', ['-u', dirs.archiveDir]);
fuse.kill();
await emu.close();
await fs.rm(dirs.root, { recursive: true, force: true });
