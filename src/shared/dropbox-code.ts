// The code Dropbox shows after a person allows access, as they paste it: one rule for the window,
// which says what is wrong before sending it, and for main, which refuses anything else (ipc.ts).
// No zod here: the window's bundle takes this file as it is.

export const DROPBOX_CODE_MAX = 512;

/** What is wrong with a pasted code (trimmed first), as the end of "The code …"; null if fine. */
export function dropboxCodeProblem(pasted: string): string | null {
  const code = pasted.trim();
  if (code === '') return 'is empty: paste the code Dropbox showed you';
  if (code.length > DROPBOX_CODE_MAX) return `is longer than ${DROPBOX_CODE_MAX} characters`;
  if (!/^[\w.~-]+$/.test(code))
    return 'may only contain letters, digits and - . _ ~ (copy it again)';
  return null;
}
