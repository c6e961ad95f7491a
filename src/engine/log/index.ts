export { createLogger, formatLine, DEFAULT_MAX_LOG_BYTES } from './logger.js';
export type { FileLogger, LogLevel, LoggerOptions } from './logger.js';
export { redact, redactValue, registerSecret, clearRegisteredSecrets, REDACTED } from './redact.js';
export { tailLog } from './tail.js';
export { printable } from './printable.js';
