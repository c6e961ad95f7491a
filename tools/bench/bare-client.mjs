// The ceiling `rdl-sync once` is measured against: a bare client that makes the same requests
// for the same small files (start_batch, append_batch packs under the same header limit and
// bodies in flight, finish_batch_v2 taking turns at the same sizes) and nothing else. No engine,
// no settings, no staging, no verification, no journal or history, no Dropbox SDK: only node,
// node:http and the files read as they lie. It is not a client anyone should run (it keeps
// nothing it would need after a crash); it shows what the runtime's start-up and exit and the
// API's round trips leave of the link on this machine, so `once`'s figure can be read against
// what is possible at all, in the same run.
//
// Run by the bench (engine-bench.ts) as its own process: node bare-client.mjs '<json options>'.
// Exit code 0 when every file was committed, 1 otherwise (with the reason on stderr).
import http from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// Any refused request ends the run at once, named (the bench then reports no figure).
const fail = (e) => {
  process.stderr.write(`bare client: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
};
process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

const o = JSON.parse(process.argv[2]);
// { url, token, dir, remote, headerBytes, bodyLimit, bodiesInFlight, commitAt, batchEntries }
const api = new URL(o.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** One API request; resolves the parsed JSON answer, rejects on any status but 200. */
function call(route, { arg, json, body }) {
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${o.token}` };
    let payload;
    if (json !== undefined) {
      payload = Buffer.from(JSON.stringify(json));
      headers['Content-Type'] = 'application/json';
    } else {
      payload = body;
      headers['Content-Type'] = 'application/octet-stream';
      headers['Dropbox-API-Arg'] = JSON.stringify(arg);
    }
    headers['Content-Length'] = payload.length;
    const req = http.request(
      {
        host: api.hostname,
        port: api.port,
        method: 'POST',
        path: `/2/${route}`,
        headers,
        agent,
      },
      (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`${route}: HTTP ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const names = readdirSync(o.dir).sort();
const n = names.length;
// Sessions first: their round trip overlaps the reading of the files.
const sessionAsks = [];
for (let i = 0; i < n; i += o.batchEntries) {
  sessionAsks.push(
    call('files/upload_session/start_batch', {
      json: { num_sessions: Math.min(o.batchEntries, n - i) },
    }),
  );
}
// Files are read as their pack is made, so the first append goes as soon as sessions are there.
const bodies = new Array(n);
const sessionIds = [];
let asked = 0;
/** Session ids for files up to `i` (the start_batch answers, in order). */
const sessionsUpTo = async (i) => {
  while (sessionIds.length <= i) sessionIds.push(...(await sessionAsks[asked++]).session_ids);
};
let nextFile = 0;
/** The next pack: as many closing entries as fit the header limit and the body limit. */
let packing = Promise.resolve(null);
const nextPack = () => (packing = packing.then(makePack));
const makePack = async () => {
  // A turn of the event loop first: the request made with the last pack goes out now.
  await new Promise((r) => setImmediate(r));
  const pack = { entries: [], files: [], bytes: 0 };
  while (nextFile < n) {
    const i = nextFile;
    await sessionsUpTo(i);
    bodies[i] ??= readFileSync(join(o.dir, names[i]));
    const entry = {
      cursor: { session_id: sessionIds[i], offset: 0 },
      length: bodies[i].length,
      close: true,
    };
    pack.entries.push(entry);
    const argBytes = JSON.stringify({ entries: pack.entries }).length;
    if (
      pack.files.length > 0 &&
      (argBytes > o.headerBytes || pack.bytes + bodies[i].length > o.bodyLimit)
    ) {
      pack.entries.pop();
      break;
    }
    pack.files.push(i);
    pack.bytes += bodies[i].length;
    nextFile++;
  }
  return pack.files.length > 0 ? pack : null;
};

// Commits take turns; one starts when enough are stored, and the rest go at the end.
const stored = [];
let committing = null;
let failures = 0;
let allSent = false;
const commit = () => {
  if (committing || stored.length === 0) return;
  if (!allSent && stored.length < o.commitAt) return;
  const group = stored.splice(0, o.batchEntries);
  committing = call('files/upload_session/finish_batch_v2', {
    json: {
      entries: group.map((i) => ({
        cursor: { session_id: sessionIds[i], offset: bodies[i].length },
        commit: { path: `${o.remote}/${names[i]}`, mode: 'add', autorename: false, mute: true },
      })),
    },
  }).then((answer) => {
    for (const e of answer.entries) if (e['.tag'] !== 'success') failures++;
    committing = null;
    commit();
  });
};
const sender = async () => {
  for (let p = await nextPack(); p; p = await nextPack()) {
    const answer = await call('files/upload_session/append_batch', {
      arg: { entries: p.entries },
      body: Buffer.concat(p.files.map((i) => bodies[i])),
    });
    const results = answer.entries ?? [];
    p.files.forEach((i, k) => {
      if (results[k]?.['.tag'] === 'success') stored.push(i);
      else failures++;
    });
    commit();
  }
};
await Promise.all(Array.from({ length: o.bodiesInFlight }, sender));
allSent = true;
commit();
while (committing) await committing;
if (failures > 0) {
  process.stderr.write(`bare client: ${failures} of ${n} files not committed\n`);
  process.exit(1);
}
process.exit(0);
