// The crash test with what real sites add to it (issue 7): logger processes still appending to
// files they hold open across the kills (paused longer than stableSeconds, so only knowing the
// file is open keeps it from being staged), and one file in a read-only folder that can never be
// moved out. Every byte a logger wrote must end up on Dropbox and on the card, nothing lost,
// duplicated or different between the two, and the bad file reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { listFilesRel } from '../engine/harness.js';
import { readPublishedStatus } from '../cli/cli-harness.js';
import { bindMount, canMount, unmount } from '../archive/helpers.js';
import {
  LOGGER_SCRIPT,
  assertClean,
  exitWithin,
  loggerBody,
  summary,
  withScenario,
} from './crash-harness.js';

test(
  '…while loggers append to files they hold open, and one file sits in a read-only folder: every byte on both sides, the bad file reported',
  { timeout: 240_000 },
  async () => {
    await withScenario('extended', { stableSeconds: 1 }, async (s) => {
      const KILLS = 8;
      // The bad file: in a folder nobody can move files out of (a read-only bind mount as root,
      // a read-only directory otherwise).
      const lockedDir = path.join(s.dirs.watchDir, 'locked');
      const badRel = 'locked/stuck.csv';
      await fs.mkdir(lockedDir, { recursive: true });
      const badBody = Buffer.from('timestamp,value\n2026-11-24T08:00:00Z,1\n');
      await fs.writeFile(path.join(lockedDir, 'stuck.csv'), badBody);
      let mounted = false;
      if (process.getuid?.() === 0) {
        assert.ok(await canMount(), 'as root the test needs mount for a read-only bind mount');
        bindMount(lockedDir, lockedDir, true);
        mounted = true;
      } else {
        await fs.chmod(lockedDir, 0o555);
      }
      const loggers: { child: ChildProcess; rel: string }[] = [];
      const startLogger = (rel: string, lines: number): void => {
        const p = path.join(s.dirs.watchDir, ...rel.split('/'));
        const child = spawn(
          process.execPath,
          ['-e', LOGGER_SCRIPT, p, rel, String(lines), '60', '2500'],
          { stdio: ['ignore', 'ignore', 'inherit'] },
        );
        s.children.push(child);
        loggers.push({ child, rel });
        s.expected.set(rel, dropboxContentHash(loggerBody(rel, lines)));
      };
      try {
        for (let i = 0; i < 60; i++)
          await s.write(
            `RDL/USB${i % 3}/early-${i}.csv`,
            randomBytes(1 + Math.floor(s.random() * 20_000)),
          );
        await s.write('cameras/burst.raw', randomBytes(9 * 1024 * 1024));
        await fs.mkdir(path.join(s.dirs.watchDir, 'loggers'), { recursive: true });
        for (let k = 0; k < KILLS; k++) {
          await s.killRound(async (batch) => {
            for (let i = 0; i < 10; i++)
              await s.write(
                `RDL/round-${k}-${batch}/rec-${i}.csv`,
                randomBytes(200 + Math.floor(s.random() * 30_000)),
              );
            // New loggers now and then, so several are appending (or paused, file open) at kills.
            if (k % 3 === 0 && batch === 0) {
              startLogger(`loggers/round-${k}-a.csv`, 60);
              startLogger(`loggers/round-${k}-b.csv`, 90);
            }
          });
        }
        for (const l of loggers) {
          assert.ok(
            await exitWithin(l.child, 60_000),
            `logger ${l.rel} did not finish within 60 s`,
          );
          assert.equal(l.child.exitCode, 0, `logger ${l.rel} failed`);
        }
        let badReported: 'a problem naming it' | 'the failed count only' | null = null;
        await s.drainAndStop(async () => {
          const [w, t] = await Promise.all([
            listFilesRel(s.dirs.watchDir),
            listFilesRel(s.dirs.transitDir),
          ]);
          const p = await readPublishedStatus(s.dirs.configDir);
          if (p?.status.problems.some((pr) => pr.message.includes(badRel)))
            badReported = 'a problem naming it';
          else if (p && p.status.counts.failed > 0) badReported ??= 'the failed count only';
          return w.length === 1 && w[0] === badRel && t.length === 0 && badReported !== null;
        });
        const audit = await s.audit(new Set([badRel]));
        const badOnDropbox = s.emulator
          .listFiles()
          .filter((f) => f.pathDisplay.startsWith('/RDL/site1/locked/')).length;
        console.log(
          `crash test extended: kills ${s.kills} (${s.killsInFlight} with work still in flight at the kill), files ${s.expected.size} (${loggers.length} written by loggers holding them open), ${summary(audit)}, bad file copies on Dropbox ${badOnDropbox}, bad file reported in status.json by ${badReported ?? 'nothing'}`,
        );
        assertClean(audit);
        assert.ok(badReported, 'the file in the read-only folder was never reported');
        assert.ok(badOnDropbox <= 1, 'the bad file was uploaded more than once');
        assert.deepEqual(
          await fs.readFile(path.join(lockedDir, 'stuck.csv')),
          badBody,
          'the bad file is still whole where it was',
        );
      } finally {
        if (mounted) unmount(lockedDir);
        else await fs.chmod(lockedDir, 0o755).catch(() => {});
      }
    });
  },
);
