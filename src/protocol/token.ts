/**
 * One reversible encoding of any string into a single NATS subject token or JetStream KV key
 * segment. Letters, digits and `-` stay as they are; every other UTF-8 byte becomes `_XX`
 * (upper-case hex). The result matches `[A-Za-z0-9_-]+`, so it can never hold a `.`, a
 * wildcard (`*`, `>`) or white space, and it is also a valid KV key. Decoding accepts only the
 * canonical form, so each string has exactly one token and each token one string.
 */

const LITERAL = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-')
  LITERAL[ch.charCodeAt(0)] = 1;
const HEX = Array.from({ length: 256 }, (_, b) => `_${b.toString(16).toUpperCase().padStart(2, '0')}`);
const TOKEN = /^(?:[A-Za-z0-9-]|_[0-9A-F]{2})+$/;

/** Encodes a non-empty string into one subject token (see the module comment). */
export function encodeToken(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte < 128 && LITERAL[byte] === 1 ? String.fromCharCode(byte) : (HEX[byte] ?? '');
  }
  return out;
}

/** The string a token encodes, or `undefined` when `token` is not a canonical encoding. */
export function decodeToken(token: string): string | undefined {
  if (!TOKEN.test(token)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token.charCodeAt(i) === 0x5f) {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(token.charCodeAt(i));
    }
  }
  const value = Buffer.from(bytes).toString('utf8');
  // Rejects `_41` for `A` and byte sequences that are not UTF-8: one token per string.
  return encodeToken(value) === token ? value : undefined;
}
