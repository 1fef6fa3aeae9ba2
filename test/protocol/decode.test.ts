import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/lib/clock.js';
import {
  createEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  generateIdentity,
  MAX_DEPTH,
  MAX_ENVELOPE_BYTES,
  ReplayGuard,
  sealEnvelope,
  unsignedEnvelope,
} from '../../src/protocol/index.js';
import { sampleData, signedMessage } from './fixtures.js';

const alice = generateIdentity();
const bob = generateIdentity();
const samples = sampleData(alice.nodeId);

/** A signed message's envelope as a plain object, to tamper with and re-encode. */
function tampered(change: (raw: Record<string, unknown>) => void): string {
  const raw = JSON.parse(
    signedMessage(alice, 'task_progress', samples.task_progress).bytes.toString(),
  ) as Record<string, unknown>;
  change(raw);
  return JSON.stringify(raw);
}

describe('decodeEnvelope', () => {
  it('accepts a signed message as bytes or text and returns the typed envelope', () => {
    const { envelope, bytes } = signedMessage(alice, 'task_progress', samples.task_progress);
    for (const input of [bytes, bytes.toString(), new Uint8Array(bytes)]) {
      const result = decodeEnvelope(input, { verify: true, self: bob.nodeId });
      expect(result).toEqual({ ok: true, envelope });
      if (result.ok && result.envelope.type === 'task_progress')
        expect(result.envelope.data.state).toBe('working');
    }
  });

  it('rejects a newer version with its own reason', () => {
    expect(
      decodeEnvelope(
        tampered((raw) => (raw.v = 2)),
        { verify: false },
      ),
    ).toMatchObject({
      ok: false,
      reason: 'unsupported_version',
    });
    expect(
      decodeEnvelope(
        tampered((raw) => (raw.v = 0)),
        { verify: false },
      ),
    ).toMatchObject({ reason: 'schema' });
    expect(
      decodeEnvelope(
        tampered((raw) => (raw.v = '1')),
        { verify: false },
      ),
    ).toMatchObject({ reason: 'schema' });
  });

  it('classifies each kind of bad input', () => {
    const cases: [string | Uint8Array, string][] = [
      ['x'.repeat(MAX_ENVELOPE_BYTES + 1), 'too_large'],
      [new Uint8Array(MAX_ENVELOPE_BYTES + 1), 'too_large'],
      ['é'.repeat(MAX_ENVELOPE_BYTES / 2 + 1), 'too_large'],
      ['{"v":1,', 'bad_json'],
      ['', 'bad_json'],
      ['[1,2]', 'schema'],
      ['null', 'schema'],
      [`{"v":1,"data":${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}}`, 'too_deep'],
      [tampered((raw) => (raw.type = 'task_teleport')), 'unknown_type'],
      [tampered((raw) => (raw.extra = 1)), 'schema'],
      [tampered((raw) => delete raw.id), 'schema'],
      [tampered((raw) => (raw.hop_count = -1)), 'schema'],
      [tampered((raw) => (raw.timestamp = 'yesterday')), 'schema'],
      [tampered((raw) => (raw.sig = 'not base64')), 'schema'],
      [tampered((raw) => (raw.data = { task: 'nope' })), 'bad_data'],
      [tampered((raw) => delete raw.data), 'schema'],
      [tampered((raw) => (raw.from = 'QmNotAnEd25519Key')), 'bad_sender'],
      [tampered((raw) => (raw.from = bob.nodeId)), 'bad_signature'],
      [tampered((raw) => (raw.sig = '')), 'bad_signature'],
      [tampered((raw) => (raw.hop_count = 1)), 'bad_signature'],
    ];
    for (const [input, reason] of cases) {
      const result = decodeEnvelope(input, { verify: true });
      expect(result.ok ? 'accepted' : result.reason, String(input).slice(0, 120)).toBe(reason);
    }
  });

  it('refuses a message that claims to come from this node', () => {
    const { bytes } = signedMessage(alice, 'task_progress', samples.task_progress);
    expect(decodeEnvelope(bytes, { verify: true, self: alice.nodeId })).toMatchObject({
      reason: 'from_self',
    });
    expect(decodeEnvelope(bytes, { verify: false, self: alice.nodeId })).toMatchObject({
      reason: 'from_self',
    });
  });

  it('with signing off, accepts unsigned messages but still checks every schema', () => {
    const unsigned = createEnvelope({
      type: 'election_heartbeat',
      from: alice.nodeId,
      data: samples.election_heartbeat,
    });
    const wire = encodeEnvelope(unsignedEnvelope(unsigned));
    expect(decodeEnvelope(wire, { verify: false })).toMatchObject({ ok: true });
    expect(decodeEnvelope(wire, { verify: true })).toMatchObject({ reason: 'bad_signature' });
    expect(sealEnvelope(unsigned, null).bytes.toString()).toBe(wire);
    const broken = wire.replace('"term":4', '"term":-4');
    expect(decodeEnvelope(broken, { verify: false })).toMatchObject({ reason: 'bad_data' });
  });

  it('refuses a replayed id and a message outside the time window', async () => {
    const clock = new SimulatedClock(Date.parse('2024-05-01T12:00:00Z'));
    const seen = new ReplayGuard({ clock, windowMs: 60_000, skewMs: 5_000 });
    const options = { verify: true, seen };
    const first = signedMessage(alice, 'meta_discussion', samples.meta_discussion, clock);
    expect(decodeEnvelope(first.bytes, options).ok).toBe(true);
    expect(decodeEnvelope(first.bytes, options)).toMatchObject({ reason: 'replayed' });

    const later = signedMessage(alice, 'meta_discussion', samples.meta_discussion, clock);
    await clock.advance(61_000);
    expect(decodeEnvelope(later.bytes, options)).toMatchObject({ reason: 'stale' });
    const future = signedMessage(
      alice,
      'meta_discussion',
      samples.meta_discussion,
      new SimulatedClock(clock.now() + 10_000),
    );
    expect(decodeEnvelope(future.bytes, options)).toMatchObject({ reason: 'stale' });
  });

  it('does not let a forged copy burn the id of the genuine message', () => {
    const clock = new SimulatedClock(Date.now());
    const seen = new ReplayGuard({ clock });
    const genuine = signedMessage(alice, 'task_claim', samples.task_claim, clock);
    const forged = Buffer.from(genuine.bytes.toString().replace('"token":7', '"token":8'));
    expect(decodeEnvelope(forged, { verify: true, seen })).toMatchObject({ reason: 'bad_signature' });
    expect(decodeEnvelope(genuine.bytes, { verify: true, seen }).ok).toBe(true);
  });
});
