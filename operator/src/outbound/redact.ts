/** Secret values shorter than this are not redacted from messages (they would mangle ordinary words). */
const MIN_REDACTED_LENGTH = 4;

const REDACTED = '[redacted]';

/**
 * The credentials of one caller (Secret values, tokens obtained at run time, signed headers): redact() takes
 * every one of them out of a text before it reaches a log line, an error, an Event or the Canary's status.
 */
export class Redactor {
  private secrets: string[] = [];

  constructor(values: Iterable<string | undefined> = []) {
    for (const v of values) this.add(v);
  }

  /** A value that must never appear in a message; whitespace around it is ignored. */
  add(value: string | undefined): void {
    if (!value) return;
    for (const v of new Set([value, value.trim()])) {
      if (v.length >= MIN_REDACTED_LENGTH && !this.secrets.includes(v)) this.secrets.push(v);
    }
    this.secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(REDACTED);
    return out;
  }
}

/** Text from a remote server made fit for a message: one line, printable characters only, at most max characters. */
export function clipRemoteText(text: string, max: number): string {
  const oneLine = text.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
