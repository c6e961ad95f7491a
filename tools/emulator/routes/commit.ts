// CommitInfo, shared by files/upload, upload_session/finish and the finish_batch entries.
import type { ArgReader } from '../args.js';
import type { WriteError } from '../errors.js';
import { checkPath } from '../paths.js';
import type { EmulatorState } from '../state.js';
import type { CommitSpec } from '../store.js';

/** `byId`: the path named a file by id, so what it means depends on the namespace at that moment. */
export type ParsedCommit =
  { ok: true; spec: CommitSpec; byId: boolean } | { ok: false; error: WriteError };

/** Reads a CommitInfo with the spec defaults for absent fields; schema errors throw BadRequest. */
export function readCommitInfo(reader: ArgReader, state: EmulatorState): ParsedCommit {
  const mode = reader.union('mode', ['add', 'overwrite', 'update'], 'add');
  let rev: string | undefined;
  if (mode.tag === 'update') {
    rev = mode.value.update as string | undefined;
    if (typeof rev !== 'string' || !/^[0-9a-f]{9,}$/.test(rev)) {
      reader.fail(
        'mode.update',
        `'${String(rev)}' did not match pattern '[0-9a-f]+' (at least 9 characters)`,
      );
    }
  }
  const autorename = reader.bool('autorename', false);
  const clientModified = reader.optionalTimestamp('client_modified');
  const mute = reader.bool('mute', false);
  const strictConflict = reader.bool('strict_conflict', false);
  const checked = checkPath(reader, 'path', { namespaceId: state.namespaceId });
  if (!checked.ok) return checked;
  let path = checked.path;
  const byId = path.startsWith('id:');
  if (byId) {
    const target = state.ns.getById(path);
    if (!target) return { ok: false, error: { '.tag': 'malformed_path' } };
    path = target.pathDisplay;
  }
  return {
    ok: true,
    spec: {
      path,
      mode: mode.tag as CommitSpec['mode'],
      rev,
      autorename,
      strictConflict,
      clientModified,
      mute,
    },
    byId,
  };
}
