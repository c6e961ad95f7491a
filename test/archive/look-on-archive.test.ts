// The app's looks at the archive keep to its limits only against a card that has gone silent: a
// card busy with a long copy that moves answers, and is looked at (a look refused then said "the
// card does not answer" of a card that was copying).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SILENT_CARD_MS,
  archiveSilentMs,
  lookOnArchive,
  withinDeadline,
} from '../../src/engine/archive/card-answers.js';

test('a card busy with a copy that moves is looked at; one silent for a second is not', async () => {
  const place = { root: '/media/busy-card', card: true };
  let moving = true;
  let finish: () => void = () => undefined;
  const copy = withinDeadline(place, (alive) => {
    const ticker = setInterval(() => {
      if (moving) alive();
    }, 50);
    return new Promise<void>((resolve) => {
      finish = () => {
        clearInterval(ticker);
        resolve();
      };
    });
  });
  await new Promise((r) => setTimeout(r, SILENT_CARD_MS + 300));
  assert.ok(archiveSilentMs(place.root) < SILENT_CARD_MS, 'the copy moves');
  const look = lookOnArchive(place.root, async () => 'looked');
  assert.notEqual(look, null, 'refused beside a copy that moves');
  assert.equal(await look, 'looked');

  // The copy stops moving: after a second of silence, looks are refused without a call.
  moving = false;
  await new Promise((r) => setTimeout(r, SILENT_CARD_MS + 300));
  assert.ok(archiveSilentMs(place.root) >= SILENT_CARD_MS);
  assert.ok(archiveSilentMs('/media/busy-card/RDL/USB0') >= SILENT_CARD_MS, 'a folder below');
  assert.equal(archiveSilentMs('/media/other-card'), 0, 'another archive');
  let called = false;
  assert.equal(
    lookOnArchive(place.root, async () => (called = true)),
    null,
  );
  assert.equal(called, false);
  finish();
  await copy;
  assert.equal(archiveSilentMs(place.root), 0);
});
