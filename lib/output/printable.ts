/**
 * Text from hosts on a terminal: control characters other than newline and tab are shown escaped (`\x1b`), so
 * that a host cannot move the cursor, retitle the window, or hide lines of the output with escape sequences.
 */
// C0 controls but \t and \n, DEL, and the C1 controls (\x9b is a one-byte CSI on some terminals)
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
