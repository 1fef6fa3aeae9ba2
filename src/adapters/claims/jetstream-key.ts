/**
 * Reversible encoding of claim keys (opaque strings: task keys, `leader`, anything) into
 * JetStream KV keys. KV keys allow `[-/_=.A-Za-z0-9]` with `.` as a hierarchy separator and
 * `*`, `>` as wildcards, so every UTF-8 byte outside `[A-Za-z0-9-]` becomes `_XX` (upper-case
 * hex): `local:demo/app#3` is stored as `local_3Ademo_2Fapp_233`, `leader` as `leader`.
 */

const PLAIN = /^[A-Za-z0-9-]$/;
const ENCODED = /^(?:[A-Za-z0-9-]|_[0-9A-F]{2})+$/;

/** The KV key that stores the lease on `key`. */
export function encodeClaimKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && PLAIN.test(char) ? char : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The claim key a KV key encodes, or undefined for a KV key this store did not write. */
export function decodeClaimKey(encoded: string): string | undefined {
  if (!ENCODED.test(encoded)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '_') {
      bytes.push(Number.parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(encoded.charCodeAt(i));
    }
  }
  const decoded = Buffer.from(bytes).toString('utf8');
  // A lone or broken UTF-8 sequence would not round-trip: not one of ours.
  return encodeClaimKey(decoded) === encoded ? decoded : undefined;
}
