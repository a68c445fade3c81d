/**
 * Text for the responder's terminal. Host output, file names an attacker chose and input files can
 * carry escape sequences (retitle the window, clear the screen, hide lines, fake a prompt); printed
 * raw, the terminal would obey them. Every control character but newline and tab is shown instead as
 * a visible `\xNN` escape. The run directory keeps the bytes as they were.
 */

// C0 controls except \t and \n, DEL, and the C1 controls (which some terminals also obey).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function terminalSafe(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
