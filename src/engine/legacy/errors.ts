/** A legacy file RDL Sync cannot take over; the message names the key or line and the fix. */
export class LegacyImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LegacyImportError';
  }
}
