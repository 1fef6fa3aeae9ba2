/**
 * The signature check of `decodeEnvelope` takes the signed bytes from the wire itself (the wire
 * without its `,"sig":"…"` member) when the sender wrote the canonical form, and re-encodes
 * canonically otherwise. These tests hold both paths to what the canonical check alone decided:
 * canonical and non-canonical but correctly signed messages pass; tampered ones, moved or
 * doubled signatures, and signatures over other bytes fail.
 */
import { sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  canonicalJson,
  createEnvelope,
  decodeEnvelope,
  generateIdentity,
  isJsonValue,
  type JsonValue,
  MESSAGE_TYPES,
  sealEnvelope,
  signingBytes,
  type DecodeResult,
} from '../../src/protocol/index.js';
import { isSignatureText } from '../../src/protocol/fast-fields.js';
import { sampleData, signedMessage } from './fixtures.js';

const alice = generateIdentity();
const bob = generateIdentity();
const samples = sampleData(alice.nodeId);

function verdict(result: DecodeResult): string {
  return result.ok ? 'ok' : result.reason;
}

function decode(input: string | Uint8Array): string {
  return verdict(decodeEnvelope(input, { verify: true, self: bob.nodeId }));
}

/** A canonical signed `actor_message` with a nested payload, as text, and its signature. */
function actorWire(payload: JsonValue = { a: 1, nested: { b: [1, { c: 'x' }] } }) {
  const { envelope, bytes } = signedMessage(alice, 'actor_message', { ...samples.actor_message, payload });
  return { envelope, text: bytes.toString('utf8'), sig: envelope.sig };
}

/** True when two JSON texts parse to the same value (as the canonical encoding sees it). */
function sameValue(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return false;
  }
}

/** `text` with `insert` placed right after the first occurrence of `after`. */
function insertAfter(text: string, after: string, insert: string): string {
  const at = text.indexOf(after);
  expect(at, `${after} in ${text}`).toBeGreaterThanOrEqual(0);
  return text.slice(0, at + after.length) + insert + text.slice(at + after.length);
}

/** The wire of `unsigned` signed over `signed` bytes (by alice unless told), canonically laid out. */
function wireSignedOver(unsigned: object, signed: Uint8Array, key = alice.privateKey): string {
  const sig = sign(null, signed, key).toString('base64');
  const { bytes } = sealEnvelope(unsigned as never, null);
  return bytes.toString('utf8').replace('"sig":""', `"sig":${JSON.stringify(sig)}`);
}

describe('signature check on the wire bytes', () => {
  it('accepts every canonical message, as bytes, as text and as a plain Uint8Array', () => {
    for (const type of MESSAGE_TYPES) {
      for (const extra of [{}, { to: samples.actor_message.to, corr: 'c-9' }]) {
        const { envelope, bytes } = signedMessage(alice, type, samples[type], undefined, extra);
        for (const input of [bytes, bytes.toString('utf8'), new Uint8Array(bytes)]) {
          expect(decodeEnvelope(input, { verify: true }), type).toEqual({ ok: true, envelope });
        }
      }
    }
  });

  it('accepts canonical messages whose text is not ASCII (characters and bytes differ)', () => {
    const { bytes } = signedMessage(alice, 'meta_discussion', {
      thread: 't',
      text: 'héllo wörld 😀 \u2028 \u0007 "quoted" \\ end',
    });
    expect(bytes.length).toBeGreaterThan(bytes.toString('utf8').length);
    expect(decode(bytes)).toBe('ok');
    expect(decode(bytes.toString('utf8'))).toBe('ok');
    expect(decode(new Uint8Array(bytes))).toBe('ok');
  });

  it('checks the text as decoded, as the canonical check did, when the bytes are not UTF-8', () => {
    const { bytes } = signedMessage(alice, 'meta_discussion', { thread: 't', text: 'a\ufffdb' });
    const at = bytes.indexOf(Buffer.from('\ufffd'));
    // The replacement character sent as one invalid byte: it decodes to the same text.
    const mangled = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]);
    expect(mangled.toString('utf8')).toBe(bytes.toString('utf8'));
    expect(mangled.length).toBe(mangled.toString('utf8').length);
    expect(decode(mangled)).toBe('ok');
  });

  it('accepts random canonical messages, and refuses each with one character changed', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), (payload, where) => {
        const { text } = actorWire(payload as JsonValue);
        expect(decode(text)).toBe('ok');
        expect(decode(Buffer.from(text))).toBe('ok');
        // Change one character of the payload's text (the digits and letters of its values).
        const start = text.indexOf('"payload":') + 10;
        const end = text.indexOf(',"replyTo":');
        const spots: [string, number][] = [];
        for (let at = start; at < end; at++)
          if (/[0-9a-z]/.test(text.charAt(at))) spots.push([text.charAt(at), at]);
        if (spots.length === 0) return;
        const [ch, at] = spots[where % spots.length]!;
        const changed = text.slice(0, at) + (ch === '1' ? '2' : '1') + text.slice(at + 1);
        // A digit past a number's precision writes the same value: the canonical bytes hold.
        if (sameValue(changed, text)) expect(decode(changed)).toBe('ok');
        // Otherwise refused: by the signature, or before it when the change broke the JSON or the data.
        else expect(['bad_signature', 'bad_json', 'bad_data']).toContain(decode(changed));
      }),
      { numRuns: 100 },
    );
  });

  it('accepts a correctly signed message that a sender wrote non-canonically', () => {
    const { envelope, bytes } = signedMessage(alice, 'task_progress', samples.task_progress);
    const text = bytes.toString('utf8');
    const variants = [
      // White space: the signature member is not found as such.
      JSON.stringify(envelope, null, 2),
      // Members in another order, the signature last.
      JSON.stringify(Object.fromEntries(Object.entries(envelope).reverse())),
      // Compact, in key order, the signature member where the canonical form has it, but
      // numbers and strings written otherwise: the spliced bytes fail, the canonical ones hold.
      text.replace('"step":2', '"step":2.0'),
      text.replace('"maxSteps":40', '"maxSteps":4e1'),
      text.replace('"state":"working"', '"state":"w\\u006frking"'),
      text.replace('"hop_count":0', '"hop_count":-0'),
      // Data members out of order, signature member in its canonical place.
      text.replace(
        /"data":\{[^}]*\}/,
        `"data":${JSON.stringify(Object.fromEntries(Object.entries(envelope.data).reverse()))}`,
      ),
    ];
    for (const variant of variants) {
      expect(variant).not.toBe(text);
      expect(decode(variant), variant).toBe('ok');
      expect(decode(Buffer.from(variant)), variant).toBe('ok');
    }
  });

  it('refuses a tampered message', () => {
    const { text } = actorWire();
    for (const tampered of [
      text.replace('"a":1', '"a":2'),
      text.replace('"c":"x"', '"c":"y"'),
      text.replace('"a":1', '"a":1,"z":0'),
      text.replace('"hop_count":0', '"hop_count":1'),
      // Tampered and no longer canonical: both paths are tried, neither holds.
      text.replace('"a":1', '"a":2.0'),
      text.replace('"a":1', '"a": 2'),
    ]) {
      expect(tampered).not.toBe(text);
      expect(decode(tampered), tampered).toBe('bad_signature');
    }
  });

  it('refuses a signature moved into data, or copied there', () => {
    const { text, sig } = actorWire();
    const member = `,"sig":${JSON.stringify(sig)}`;
    const without = text.replace(member, '');
    expect(without).not.toBe(text);
    // Moved: the envelope has no signature any more.
    expect(decode(insertAfter(without, '"a":1', member))).toBe('schema');
    expect(decode(insertAfter(without, '"corr":"c-1"', member))).toBe('schema');
    // Copied: the signature covers no such member.
    expect(decode(insertAfter(text, '"a":1', member))).toBe('bad_signature');
    expect(decode(insertAfter(text, '"data":{"corr":"c-1"', member))).toBe('bad_signature');
  });

  it('refuses a second signature member in a nested object, wherever it stands', () => {
    const { envelope, text, sig } = actorWire();
    const member = `,"sig":${JSON.stringify(sig)}`;
    // In the payload, before the top-level member.
    expect(decode(insertAfter(text, '"c":"x"', member))).toBe('bad_signature');
    // After the top-level member (data written last), followed by what follows it canonically,
    // so that a search from the end finds the nested one first.
    const { data, ...rest } = envelope;
    const trap = { ...data, payload: { a: 1 }, zz: 1 };
    const last = JSON.stringify({ ...rest, data: trap }).replace(
      '"zz":1',
      `"zz":1${member},"timestamp":${JSON.stringify(envelope.timestamp)}`,
    );
    expect(decode(last)).toBe('bad_signature');
    // The nested copy alone, the top-level one gone.
    const nestedOnly = last.replace(`${member},"data"`, ',"data"');
    expect(nestedOnly).not.toBe(last);
    expect(decode(nestedOnly)).toBe('schema');
  });

  it('refuses signatures over other bytes', () => {
    const unsigned = createEnvelope({
      type: 'actor_message',
      from: alice.nodeId,
      data: samples.actor_message,
    });
    expect(decode(wireSignedOver(unsigned, signingBytes(unsigned)))).toBe('ok');
    // Another message's signature.
    const other = createEnvelope({ type: 'actor_message', from: alice.nodeId, data: samples.actor_message });
    expect(decode(wireSignedOver(unsigned, signingBytes(other)))).toBe('bad_signature');
    // The canonical bytes of the same message with one member changed.
    expect(decode(wireSignedOver(unsigned, signingBytes({ ...unsigned, hop_count: 1 })))).toBe(
      'bad_signature',
    );
    // The canonical bytes including an empty signature member.
    expect(decode(wireSignedOver(unsigned, canonicalBytes({ ...unsigned, sig: '' })))).toBe('bad_signature');
    // The wire's bytes with a different signature value than the one it carries.
    expect(decode(wireSignedOver(unsigned, sealEnvelope(unsigned, null).bytes))).toBe('bad_signature');
    // The right bytes, the wrong key.
    expect(decode(wireSignedOver(unsigned, signingBytes(unsigned), bob.privateKey))).toBe('bad_signature');
  });
});

describe('isSignatureText', () => {
  const SIGNATURE = /^(?:[A-Za-z0-9+/]{85}[AQgw]==)?$/;
  const valid = sign(null, Buffer.from('x'), alice.privateKey).toString('base64');

  it('agrees with the schema pattern', () => {
    const edges = [
      '',
      valid,
      `${valid}=`,
      valid.slice(1),
      `A${valid.slice(1)}`,
      valid.replace(/.==$/, 'B=='),
      'é'.repeat(88),
    ];
    for (const s of edges) expect(isSignatureText(s), s).toBe(SIGNATURE.test(s));
    fc.assert(
      fc.property(fc.nat(87), fc.integer({ min: 0, max: 0x3ff }), (at, code) => {
        const s = valid.slice(0, at) + String.fromCharCode(code) + valid.slice(at + 1);
        expect(isSignatureText(s)).toBe(SIGNATURE.test(s));
      }),
      { numRuns: 2000 },
    );
    for (const value of [undefined, null, 88, {}]) expect(isSignatureText(value)).toBe(false);
  });
});

describe('isJsonValue', () => {
  it('judges arrays as before: holes skipped, undefined refused', () => {
    // eslint-disable-next-line no-sparse-arrays -- a hole is what is tested
    expect(isJsonValue([1, , 2])).toBe(true);
    expect(isJsonValue([1, undefined, 2])).toBe(false);
    expect(isJsonValue({ a: undefined, b: [{ c: null }] })).toBe(true);
    expect(isJsonValue({ a: Number.NaN })).toBe(false);
    expect(isJsonValue(Object.assign(Object.create({ inherited: () => 1 }) as object, { a: 1 }))).toBe(false);
  });
});
