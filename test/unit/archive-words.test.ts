// Texts that speak of the archive in general (not of one whose kind is known) name it as what it
// may be: an SD card or a folder. Every RDL hub since mid-2024 archives to 4_synced on its own
// disk; "an SD-card backup" told its keeper of a card the hub does not have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HELP } from '../../src/cli/help.js';
import { autostartEntry } from '../../src/main/login-item.js';
import { settingsFields } from '../../src/main/settings-fields.js';

/** "SD card" alone, not "SD card or (local) folder" / "SD card or disk". */
const CARD_ONLY = /SD[- ]card(?! or)/i;

test('the general texts about the archive never call it only an SD card', () => {
  const describe = (key: string): string =>
    settingsFields().find((f) => f.key === key)?.description ?? '';
  const texts: [string, string][] = [
    ['rdl-sync --help, first line', (HELP.main ?? '').split('\n')[0] ?? ''],
    ['rdl-sync status --help', HELP.status ?? ''],
    ['the transit folder in Settings', describe('transitDir')],
    ['the autostart entry', autostartEntry('/opt/rdl-sync/rdl-sync')],
  ];
  for (const [where, text] of texts) {
    assert.ok(text.length > 0, `${where}: no text`);
    assert.doesNotMatch(text, CARD_ONLY, where);
  }
});
