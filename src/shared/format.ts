// Formatting the window shares with the engine and the CLI, so a size or a span of time reads the
// same everywhere.
export { formatBytes } from '../engine/format-bytes.js';
export { formatDuration } from '../engine/format-duration.js';
export { archiveTitle, thePlace } from '../engine/archive/archive-place.js';
export { keptUnderOtherName } from '../engine/legs/keep-both.js';
export { heldResolvedSentence } from '../engine/alerts/held-words.js';
export { emptyFleetSentence } from '../engine/fleet/empty-fleet-words.js';
