// The bash Dropbox-Uploader's ~/.dropbox_uploader: shell KEY=value lines it `source`s, e.g.
//   CONFIGFILE_VERSION=2.0
//   OAUTH_APP_KEY=abc
//   OAUTH_APP_SECRET=def
//   OAUTH_REFRESH_TOKEN=ghi
// Error messages never quote a value: they are secrets.
import { LegacyImportError } from './errors.js';

export interface UploaderCredentials {
  appKey: string;
  appSecret?: string;
  refreshToken: string;
}

export function parseDropboxUploaderConfig(text: string): UploaderCredentials {
  const values = parseShellAssignments(text);
  const appKey = values.get('OAUTH_APP_KEY');
  const refreshToken = values.get('OAUTH_REFRESH_TOKEN');
  const appSecret = values.get('OAUTH_APP_SECRET');
  if (!refreshToken) {
    if (values.get('OAUTH_ACCESS_TOKEN')) {
      throw new LegacyImportError(
        'The Dropbox-Uploader config only has an old long-lived OAUTH_ACCESS_TOKEN, which Dropbox no longer honours: re-run the uploader’s setup (./dropbox_uploader.sh unlink, then run it again) to get a refresh token, or connect with `rdl-sync auth`',
      );
    }
    throw new LegacyImportError(
      'The Dropbox-Uploader config has no OAUTH_REFRESH_TOKEN: re-run the uploader’s setup, or connect with `rdl-sync auth`',
    );
  }
  if (!appKey) {
    throw new LegacyImportError(
      'The Dropbox-Uploader config has no OAUTH_APP_KEY: re-run the uploader’s setup, or connect with `rdl-sync auth`',
    );
  }
  return appSecret ? { appKey, appSecret, refreshToken } : { appKey, refreshToken };
}

/** KEY=value, KEY="value", KEY='value', optional `export`, comments and blank lines. */
function parseShellAssignments(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) {
      throw new LegacyImportError(
        `Line ${index + 1} of the Dropbox-Uploader config is not a KEY=value line: fix or remove it`,
      );
    }
    out.set(m[1]!, unquote(m[2]!, m[1]!, index + 1));
  });
  return out;
}

function unquote(rest: string, key: string, lineNo: number): string {
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const end = rest.indexOf(quote, 1);
    if (end < 0) {
      throw new LegacyImportError(
        `${key} on line ${lineNo} of the Dropbox-Uploader config has no closing ${quote}: add it`,
      );
    }
    return rest.slice(1, end).trim();
  }
  // Unquoted: a value ends at whitespace; anything after ` #` is a comment.
  return rest.split(/\s+#|\s/)[0]!.trim();
}
