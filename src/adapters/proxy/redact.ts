/**
 * Keeping the upstream key inside the proxy: whatever text from the upstream or from an error
 * goes to a client or a log passes through here first. A server echoing the key ("Incorrect
 * API key provided: sk-...") is caught whole, and so are the masked forms servers print
 * (`sk-proj-abcd****wxyz`): any word made only of pieces of the key, stars between them.
 */

const WORD = /[A-Za-z0-9_\-*]{6,}/g;
export const REDACTED = '[redacted]';

export type Redactor = (text: string) => string;

/** A redactor for `secret` (none: text passes unchanged). */
export function redactorFor(secret: string | undefined): Redactor {
  if (secret === undefined || secret.length < 4) return (text) => text;
  const leaks = (word: string): boolean => {
    if (word.includes(secret)) return true;
    const pieces = word.split('*').filter((p) => p.length > 0);
    if (pieces.length === 0) return false;
    const long = pieces.reduce((n, p) => n + p.length, 0);
    // a piece of 3+ characters of the key in a word of 6+: a fragment or a masked echo
    return (
      long >= 3 &&
      pieces.every((p) => p.length >= 3 && secret.includes(p)) &&
      (pieces.length > 1 || long >= 8)
    );
  };
  return (text) => {
    const redacted = text.includes(secret) ? text.split(secret).join(REDACTED) : text;
    return redacted.replace(WORD, (word) => (leaks(word) ? REDACTED : word));
  };
}
