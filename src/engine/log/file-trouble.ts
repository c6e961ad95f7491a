// A log file that cannot be written (its disk turned read-only after errors, or full): electron-log
// reports it through the console transport with the error's whole stack, at every line, so under
// systemd each line of the daemon became eleven in the journal and the lines that say what is wrong
// drowned. Here the report is caught and said once, in one line, and its end is said too.

// Only this report: its others (a rotation that failed, deprecations) are rare and go through.
const CANNOT_WRITE = "electron-log.transports.file: Can't write to ";

/** The set-aside report of the line being written (the file transport writes synchronously). */
let pending: string | null = null;

/**
 * For a console transport's writeFn: true (and the report set aside for `takeFileFailure`) when the
 * message is electron-log's report of a log file it could not write.
 */
export function catchFileFailure(data: readonly unknown[]): boolean {
  const at = data.findIndex((d) => typeof d === 'string' && d.includes(CANNOT_WRITE));
  if (at < 0) return false;
  const error = data.slice(at + 1).find((d) => d instanceof Error || typeof d === 'string');
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  // "Couldn't write to /path. EROFS: read-only file system, open '/path'": the system's reason.
  const reason = /\b(E[A-Z]+: [^,\n]*)/.exec(text)?.[1] ?? (text.split('\n')[0] || 'unknown error');
  pending = reason;
  return true;
}

/** The report caught while the last line was written, if any (and forgets it). */
export function takeFileFailure(): string | null {
  const reason = pending;
  pending = null;
  return reason;
}

export interface FileTroubleSink {
  /** One line to the console: the log file itself is the trouble. */
  tell(text: string): void;
  /** Into the log file again (it can be written). */
  record(text: string): void;
}

/** One log file's trouble: said when it starts, counted while it lasts, said when it ends. */
export class FileTrouble {
  private reason: string | null = null;
  private missed = 0;

  constructor(
    private readonly file: string,
    private readonly sink: FileTroubleSink,
  ) {}

  /** A trouble is being counted (the caller need not report lines that went well otherwise). */
  get active(): boolean {
    return this.reason !== null;
  }

  /**
   * After each line: the reason it could not be written, or null. `stuck` is true when the log
   * cannot recover in this process (electron-log gave up on a file it could not open at first use).
   */
  afterLine(reason: string | null, stuck: boolean): void {
    if (reason !== null || (this.reason !== null && stuck)) {
      this.missed++;
      if (this.reason !== null) return;
      this.reason = reason ?? 'unknown error';
      this.sink.tell(
        `Cannot write the log file ${this.file} (${this.reason}): its lines go only to the console ` +
          (stuck
            ? '(the journal under systemd) from now on; restart RDL Sync once its disk can be written'
            : '(the journal under systemd) until it can be written again'),
      );
      return;
    }
    if (this.reason === null) return;
    this.sink.record(
      `The log file can be written again (it could not: ${this.reason}); ${this.missed} ` +
        `line${this.missed === 1 ? '' : 's'} went only to the console meanwhile`,
    );
    this.reason = null;
    this.missed = 0;
  }
}
