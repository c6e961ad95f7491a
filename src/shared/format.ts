// Formatting the window shares with the engine and the CLI, so a size reads the same everywhere.
export { formatBytes } from '../engine/format-bytes.js';
