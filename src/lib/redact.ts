/**
 * Keeping secrets out of what is printed: a URL's password (`postgres://bzzz:***@db/bzzz`) and
 * any text that might carry a secret a library put into an error message.
 */

const MASK = '***';

/**
 * The URL with its password replaced by `***` (user, host, port and path kept, so an operator
 * still sees where it points). A string that is no URL is returned masked entirely when it
 * looks like it may hold credentials (`user:pass@host`), unchanged otherwise.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return /:[^/@\s]*@/.test(text) ? MASK : text;
  }
  if (url.password === '') return text;
  url.password = MASK;
  return url.toString();
}

/** `text` with every occurrence of each non-empty secret (raw and URL-encoded) replaced by `***`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(MASK);
  }
  return out;
}

/** The password of a URL (decoded), or '' when it has none or is no URL. */
export function urlPassword(text: string): string {
  try {
    const password = new URL(text).password;
    return password === '' ? '' : decodeURIComponent(password);
  } catch {
    return '';
  }
}
