// "A bad file fails alone": real permission bits, enforced on an unprivileged user, and a real
// tmpfs as the second disk. Each case stages a bad file and a good one in the same run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { canMount, mountTmpfs, removeDir, tempDir, unmount } from '../archive/helpers.js';
import { put } from '../scan/helpers.js';
import { NOBODY, asNobody, cannotDropPrivileges, giveToNobody } from './unprivileged.js';

interface Answer {
  status: string;
  kind?: string;
  code?: string;
  message?: string;
}

const skip = cannotDropPrivileges();

async function setup(): Promise<{ base: string; watch: string; transit: string }> {
  const base = await tempDir('rdl-perm-');
  await chmod(base, 0o755);
  const watch = join(base, 'watch');
  const transit = join(base, 'transit');
  await mkdir(watch);
  await mkdir(transit);
  await giveToNobody(watch, transit);
  return { base, watch, transit };
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** put() as root, then hand the file and its folder to nobody. */
async function putForNobody(root: string, rel: string, body: string | Buffer): Promise<string> {
  const p = await put(root, rel, body);
  await giveToNobody(p, join(p, '..'));
  return p;
}

test(
  'a file in a read-only subfolder fails alone, named with the fix; the others are staged',
  { skip: skip ?? false },
  async () => {
    const { base, watch, transit } = await setup();
    try {
      const locked = await putForNobody(watch, 'ro/b.csv', 'locked data');
      await putForNobody(watch, 'ok/a.csv', 'fine data');
      await chmod(join(watch, 'ro'), 0o555);
      const r = asNobody<Record<string, Answer>>({
        op: 'stage',
        watchDir: watch,
        transitDir: transit,
        rels: ['ro/b.csv', 'ok/a.csv'],
      });
      assert.deepEqual(
        [r['ro/b.csv']?.status, r['ro/b.csv']?.kind, r['ro/b.csv']?.code],
        ['failed', 'file-failed', 'file-unreadable'],
      );
      assert.match(
        r['ro/b.csv']?.message ?? '',
        /Cannot move .*ro\/b\.csv out of the watch folder \(EACCES\): give the user RDL Sync runs as \(nobody\) write access to the folder .*\/watch\/ro; the file stays there/,
      );
      assert.equal(r['ok/a.csv']?.status, 'staged');
      assert.equal(await readFile(locked, 'utf8'), 'locked data', 'the locked file is untouched');
      assert.equal(await exists(join(transit, 'ro', 'b.csv')), false, 'and not in transit twice');
      assert.equal(await readFile(join(transit, 'ok', 'a.csv'), 'utf8'), 'fine data');
    } finally {
      await chmod(join(watch, 'ro'), 0o755).catch(() => {});
      await removeDir(base);
    }
  },
);

test(
  'transit on another disk (tmpfs): an unreadable file fails alone; the others are copied',
  { skip: skip ?? false },
  async (t) => {
    if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
    const { base, watch, transit } = await setup();
    mountTmpfs(transit, 1024);
    try {
      await giveToNobody(transit);
      const secret = await putForNobody(watch, 'cams/secret.csv', 'cannot be read');
      await chmod(secret, 0o000);
      await putForNobody(watch, 'cams/fine.csv', 'readable');
      const r = asNobody<Record<string, Answer>>({
        op: 'stage',
        watchDir: watch,
        transitDir: transit,
        rels: ['cams/secret.csv', 'cams/fine.csv'],
      });
      assert.deepEqual(
        [r['cams/secret.csv']?.status, r['cams/secret.csv']?.code],
        ['failed', 'file-unreadable'],
      );
      assert.match(
        r['cams/secret.csv']?.message ?? '',
        /Cannot read .*cams\/secret\.csv \(EACCES\): give the user RDL Sync runs as \(nobody\) read permission/,
      );
      assert.equal(r['cams/fine.csv']?.status, 'staged');
      assert.equal(await readFile(join(transit, 'cams', 'fine.csv'), 'utf8'), 'readable');
      assert.equal(await exists(secret), true, 'the unreadable file stays in the watch folder');
      assert.deepEqual(await readdir(join(transit, 'cams')), ['fine.csv'], 'nothing else left');
    } finally {
      unmount(transit);
      await removeDir(base);
    }
  },
);

// Same disk: the move needs no read permission, and a file nobody could read was moved into
// transit, where both legs failed on it and the person found it gone from the watch folder
// (found by an adversarial-files trial). It stays, named as across disks.
test(
  'same disk: a file this user cannot read stays in the watch folder, named with the fix; the others are staged',
  { skip: skip ?? false },
  async () => {
    const { base, watch, transit } = await setup();
    try {
      const rootOwned = await putForNobody(watch, 'cams/root.csv', 'private');
      await chown(rootOwned, 0, 0);
      await chmod(rootOwned, 0o600);
      const own = await putForNobody(watch, 'cams/own.csv', 'mode 000');
      await chmod(own, 0o000);
      await putForNobody(watch, 'cams/fine.csv', 'readable');
      const r = asNobody<Record<string, Answer>>({
        op: 'stage',
        watchDir: watch,
        transitDir: transit,
        rels: ['cams/root.csv', 'cams/own.csv', 'cams/fine.csv'],
      });
      for (const rel of ['cams/root.csv', 'cams/own.csv']) {
        assert.deepEqual([r[rel]?.status, r[rel]?.code], ['failed', 'file-unreadable'], rel);
        assert.match(
          r[rel]?.message ?? '',
          /^Cannot read .*\(EACCES\): give the user RDL Sync runs as \(nobody\) read permission on it and its folders; it stays in the watch folder$/,
        );
      }
      assert.equal(r['cams/fine.csv']?.status, 'staged');
      assert.equal(await exists(rootOwned), true, 'the unreadable files stay in the watch folder');
      assert.equal(await exists(own), true);
      assert.deepEqual(
        await readdir(join(transit, 'cams')),
        ['fine.csv'],
        'only the readable one moved',
      );
    } finally {
      await removeDir(base);
    }
  },
);

test(
  'a file the full transit disk has no room for waits ("no-room"); a transit folder that cannot be written is "blocked"; files stay',
  { skip: skip ?? false },
  async (t) => {
    if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
    const { base, watch, transit } = await setup();
    mountTmpfs(transit, 64);
    try {
      await giveToNobody(transit);
      const big = await putForNobody(watch, 'big.bin', Buffer.alloc(256 * 1024, 7));
      const full = asNobody<Record<string, Answer>>({
        op: 'stage',
        watchDir: watch,
        transitDir: transit,
        rels: ['big.bin'],
      });
      assert.equal(full['big.bin']?.status, 'no-room');
      assert.match(
        full['big.bin']?.message ?? '',
        /^big\.bin \(262 kB\) does not fit on the disk of the transit folder .*\(\d+ kB free\)/,
      );
      assert.equal((await lstat(big)).size, 256 * 1024);
    } finally {
      unmount(transit);
    }
    try {
      // Same disk now, but the transit folder belongs to root and is read-only for nobody.
      await chmod(transit, 0o755);
      const { chown } = await import('node:fs/promises');
      await chown(transit, 0, 0);
      const p = await putForNobody(watch, 'day.csv', 'data');
      const denied = asNobody<Record<string, Answer>>({
        op: 'stage',
        watchDir: watch,
        transitDir: transit,
        rels: ['day.csv'],
      });
      assert.equal(denied['day.csv']?.status, 'blocked');
      assert.match(
        denied['day.csv']?.message ?? '',
        /Cannot write to the transit folder .*\(EACCES\): check that it exists and is writable/,
      );
      assert.equal(await readFile(p, 'utf8'), 'data');
      assert.ok(NOBODY > 0);
    } finally {
      await removeDir(base);
    }
  },
);

test(
  'scan as an unprivileged user: an unreadable folder is an error with a code and a fix; an unreadable watch folder is a watchProblem',
  { skip: skip ?? false },
  async () => {
    const { base, watch } = await setup();
    try {
      await putForNobody(watch, 'ok/a.csv', 'a');
      await putForNobody(watch, 'closed/b.csv', 'b');
      await chmod(join(watch, 'closed'), 0o000);
      // Listable but not searchable: the names are seen, the files cannot be examined.
      await putForNobody(watch, 'noexec/c.csv', 'c');
      await chmod(join(watch, 'noexec'), 0o444);
      const r = asNobody<{
        stable: string[];
        errors: { rel: string; code: string; message: string }[];
        watchProblem: unknown;
      }>({ op: 'scan', watchDir: watch });
      assert.deepEqual(r.stable, ['ok/a.csv']);
      const byRel = new Map(r.errors.map((e) => [e.rel, e]));
      assert.deepEqual(r.errors.map((e) => [e.rel, e.code]).sort(), [
        ['closed', 'unreadable-folder'],
        ['noexec/c.csv', 'unreadable-name'],
      ]);
      assert.match(
        byRel.get('noexec/c.csv')?.message ?? '',
        /^Cannot read noexec\/c\.csv: permission denied \(EACCES\); give the user RDL Sync runs as \(nobody\) search \(x\) permission on its folder\./,
      );
      assert.match(
        byRel.get('closed')?.message ?? '',
        /^Cannot read closed: permission denied \(EACCES\); give the user RDL Sync runs as \(nobody\) read and search \(x\) permission on it\./,
      );
      assert.equal(r.watchProblem, null);

      await chmod(watch, 0o000);
      const blind = asNobody<{ stable: string[]; watchProblem: { kind: string; message: string } }>(
        {
          op: 'scan',
          watchDir: watch,
        },
      );
      assert.deepEqual(blind.stable, []);
      assert.equal(blind.watchProblem.kind, 'blocked');
      assert.match(
        blind.watchProblem.message,
        /Watch folder .*watch cannot be read \(permission denied \(EACCES\)\): check that it exists and is readable/,
      );
    } finally {
      await chmod(watch, 0o755).catch(() => {});
      await chmod(join(watch, 'closed'), 0o755).catch(() => {});
      await chmod(join(watch, 'noexec'), 0o755).catch(() => {});
      await removeDir(base);
    }
  },
);
