// Error messages quote what a damaged file holds (a global's name, a JSON fragment): control characters in it would
// break the one-line message or move the terminal's cursor, so they are shown escaped.

/** `s` with C0/C1 control characters, DEL and the Unicode line separators written as \xNN / \uNNNN. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}
