/**
 * The signature check of a received envelope: does the frame's `sig` verify, against the
 * sender's key, over the canonical bytes of the envelope without `sig`? Taken from the wire
 * itself when the sender wrote the canonical form (one Ed25519 verification, no re-encoding),
 * re-encoded canonically otherwise. Used by `decodeEnvelope`, after the frame and data checks.
 */
import { isAscii } from 'node:buffer';
import { verify, type KeyObject } from 'node:crypto';
import { canonicalBytes, inspectJson } from './canonical.js';
import type { EnvelopeFrame } from './envelope.js';
import { PROTOCOL_VERSION } from './limits.js';

/** The signature member wherever it is not the first member of its object: `,"sig":"<sig>"`. */
const SIG_MEMBER = ',"sig":"';
/** What follows the signature member in the canonical form (`timestamp` is required). */
const AFTER_SIG = ',"timestamp":"';
/** The last member of the canonical form, and the end of it. */
const V_MEMBER = `,"v":${PROTOCOL_VERSION}}`;

/**
 * True when `sig` (the frame's, already checked to be the base64 of 64 bytes) is `publicKey`'s
 * signature of the canonical bytes of `raw` without `sig`. One Ed25519 verification, except in
 * the one case below, which costs two.
 *
 * Fast path, for a sender that wrote the canonical form (every bzzz node: see `sealEnvelope`):
 * the wire text is the signed text with `,"sig":"<sig>"` spliced in between the `id` and
 * `timestamp` members, so the signed bytes are the wire bytes without that segment, and no
 * re-encoding is needed. This is sound for any wire text, canonical or not, where the segment
 * is found:
 * - `,"` cannot occur inside a JSON string (the quote would end the string, and `sig` would
 *   follow it as a bare word), so the comma is structural and `"sig"` is a member name:
 *   the segment is a whole member `"sig":"<sig>"` (the value has no quote or backslash) of
 *   some object, not its first. Removing it leaves valid JSON: the wire without that member.
 * - If those bytes verify, the sender signed them. A sender signs only the canonical form of
 *   an envelope without `sig` (`signingBytes`), so the member removed cannot have been in a
 *   nested object: the wire would then still have no top-level `sig`, yet it parsed with one.
 *   Hence the parsed envelope is exactly the signed one plus `sig`, which is what the
 *   canonical path would have established. (The one difference: a sender that broke SPEC by
 *   signing a compact but non-canonical text, `1.0` for `1`, is believed here, as it signed
 *   exactly what it sent; the canonical check alone refused it. Nothing unsigned gets in.)
 *
 * When the splice does not verify, the canonical path is tried only if it would verify other
 * bytes, that is when the wire is not canonical (an exact test: keys in order and the native
 * encoder giving back the very text). A canonical wire that fails is rejected after one
 * verification, like any message whose segment is not found. Only a message that is
 * non-canonical yet carries the segment at its canonical place (compact and in key order, but
 * with, say, `1.0` for `1`) costs a second verification when it is forged: that bounds what a
 * forger gains at twice the old cost, and keeps such senders, which SPEC allows, working.
 */
export function signatureHolds(
  input: Uint8Array | string,
  text: string,
  raw: Record<string, unknown>,
  frame: EnvelopeFrame,
  publicKey: KeyObject,
): boolean {
  const sig = frame.sig;
  const signature = signatureBytes(sig);
  const at = signatureAt(text, frame);
  if (at > 0) {
    const end = at + SIG_MEMBER.length + sig.length + 1;
    if (verify(null, spliced(input, text, at, end), publicKey, signature)) return true;
    // The wire was canonical: the canonical bytes are the ones that just failed.
    if (inspectJson(raw) === 'sorted' && JSON.stringify(raw) === text) return false;
  }
  const { sig: _sig, ...unsigned } = raw;
  return verify(null, canonicalBytes(unsigned), publicKey, signature);
}

/**
 * Where `text` holds the signature member `,"sig":"<sig>"` followed by the `timestamp` member,
 * as in the canonical form; -1 if it does not. The place is computed from the members that
 * follow it canonically (`timestamp`, `to`, `type`, `v`), so a canonical text costs no search;
 * any other text is searched from the end. Any place found is checked character for character.
 */
function signatureAt(text: string, frame: EnvelopeFrame): number {
  const sig = frame.sig;
  // `,"timestamp":"…"` `,"to":"…"` `,"type":"…"` `,"v":1}`: the first two need no escapes
  // (their checks allow none), `type` may, which only makes the guess miss.
  let tail = 15 + frame.timestamp.length + 10 + frame.type.length + V_MEMBER.length;
  if (frame.to !== undefined) tail += 8 + frame.to.length;
  let at = text.length - tail - (SIG_MEMBER.length + sig.length + 1);
  if (!isSignatureMemberAt(text, at, sig)) {
    at = text.lastIndexOf(SIG_MEMBER);
    if (at < 0 || !isSignatureMemberAt(text, at, sig)) return -1;
  }
  return at;
}

function isSignatureMemberAt(text: string, at: number, sig: string): boolean {
  const end = at + SIG_MEMBER.length + sig.length + 1;
  return (
    at > 0 &&
    text.startsWith(SIG_MEMBER, at) &&
    text.startsWith(sig, at + SIG_MEMBER.length) &&
    text.charCodeAt(end - 1) === 0x22 && // the closing quote of the value
    text.startsWith(AFTER_SIG, end)
  );
}

/** Base64 digit values by character code; 64 for a character that is none. */
const BASE64_VALUE = new Uint8Array(128).fill(64);
const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < BASE64_DIGITS.length; i++) BASE64_VALUE[BASE64_DIGITS.charCodeAt(i)] = i;
/** Where {@link signatureBytes} decodes; `crypto.verify` reads it synchronously, so it is reused. */
const SIGNATURE_SCRATCH = Buffer.alloc(64);

/**
 * The 64 bytes of a signature the frame check accepted (85 digits, a last digit with 2 zero
 * bits, `==`), decoded by hand into a reused buffer: `Buffer.from(sig, 'base64')` allocates.
 */
function signatureBytes(sig: string): Buffer {
  const out = SIGNATURE_SCRATCH;
  let o = 0;
  for (let i = 0; i < 84; i += 4) {
    const n =
      (BASE64_VALUE[sig.charCodeAt(i)]! << 18) |
      (BASE64_VALUE[sig.charCodeAt(i + 1)]! << 12) |
      (BASE64_VALUE[sig.charCodeAt(i + 2)]! << 6) |
      BASE64_VALUE[sig.charCodeAt(i + 3)]!;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  // The last group: two digits, then `==`.
  out[o] = (BASE64_VALUE[sig.charCodeAt(84)]! << 2) | (BASE64_VALUE[sig.charCodeAt(85)]! >> 4);
  return out;
}

/**
 * The UTF-8 bytes of `text` without its characters `[at, end)`: cut from the input bytes when
 * they are ASCII (each character is then the byte at its own offset), otherwise cut from the
 * text and encoded, so that the bytes are always those of the text as decoded.
 */
function spliced(input: Uint8Array | string, text: string, at: number, end: number): Buffer {
  if (typeof input !== 'string' && input.byteLength === text.length && isAscii(input)) {
    const source =
      input instanceof Buffer ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const out = Buffer.allocUnsafe(input.byteLength - (end - at));
    source.copy(out, 0, 0, at);
    source.copy(out, at, end);
    return out;
  }
  return Buffer.from(text.slice(0, at) + text.slice(end), 'utf8');
}
