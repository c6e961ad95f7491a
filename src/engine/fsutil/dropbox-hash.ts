// The engine has one Dropbox content-hash implementation (dropbox/content-hash.ts, with the
// resumable block state the uploader needs); the file-system legs use it under these names.
// The emulator keeps its own, independent one on purpose: a test then compares two.
export {
  ContentHasher as DropboxHasher,
  contentHashOf as dropboxContentHash,
  BLOCK_SIZE as DROPBOX_BLOCK_SIZE,
} from '../dropbox/content-hash.js';
