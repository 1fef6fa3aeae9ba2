/**
 * Hostile input for a live subscriber: a seeded mix of genuine signed beats, their replays,
 * truncations, flipped bytes, wrong member types, oversized and deeply nested messages,
 * forgeries, impersonations, messages claiming to be from the receiver, and random bytes.
 * Genuine and hostile `message_batch` envelopes are mixed in too: a genuine batch delivers
 * each of its messages, a hostile one (a broken, foreign or forbidden message inside, a batch
 * inside a batch, a flipped byte) is rejected whole, once.
 * Returns the wire inputs in order, how many deliveries the genuine ones make, and how many of
 * those are beyond one per input (the extra messages of genuine batches).
 */
import { createEnvelope, sealEnvelope, signEnvelope, type Identity } from '../../src/protocol/index.js';

function generator(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

export function mutatedEnvelopes(
  total: number,
  sender: Identity,
  receiver: Identity,
  seed: number,
): { inputs: Uint8Array[]; genuine: number; batchExtra: number } {
  const rnd = generator(seed);
  const other = { nodeId: receiver.nodeId };
  const beat = (from: Identity, node = from.nodeId, load = rnd.int(10)) =>
    createEnvelope({
      type: 'availability_broadcast',
      from: from.nodeId,
      data: { node, status: 'ready', load, maxTasks: 10, tasks: [] },
    });
  const sent: Buffer[] = [];
  const inputs: Uint8Array[] = [];
  let genuine = 0;
  let batchExtra = 0;
  const beatData = (node: string) => ({
    node,
    status: 'ready' as const,
    load: rnd.int(10),
    maxTasks: 10,
    tasks: [] as string[],
  });
  /** A batch envelope of `messages`, valid or not (its frame is a real one's, fresh id). */
  const batch = (messages: unknown[]) =>
    ({
      ...createEnvelope({
        type: 'message_batch',
        from: sender.nodeId,
        data: { messages: [{ type: 'availability_broadcast', data: beatData(sender.nodeId) }] },
      }),
      data: { messages },
    }) as never;
  const template = sealEnvelope(beat(sender), sender.privateKey).bytes;
  const templateJson = JSON.parse(template.toString('utf8')) as Record<string, unknown>;
  while (inputs.length < total) {
    const kind = rnd.int(14);
    switch (kind) {
      case 0: {
        const bytes = sealEnvelope(beat(sender), sender.privateKey).bytes;
        sent.push(bytes);
        genuine++;
        inputs.push(bytes);
        break;
      }
      case 1:
        if (sent.length === 0) break;
        inputs.push(sent[rnd.int(sent.length)]!);
        break;
      case 2:
        inputs.push(template.subarray(0, rnd.int(template.length - 1)));
        break;
      case 3: {
        const copy = Buffer.from(template);
        const at = rnd.int(copy.length);
        copy[at] = (copy[at]! ^ (1 + rnd.int(255))) & 0xff;
        inputs.push(copy);
        break;
      }
      case 4: {
        const keys = Object.keys(templateJson);
        const key = keys[rnd.int(keys.length)]!;
        const values = [42, 'x', null, [], {}, true, -1.5];
        inputs.push(Buffer.from(JSON.stringify({ ...templateJson, [key]: values[rnd.int(values.length)] })));
        break;
      }
      case 5: // over the size limit: rare, these are half a megabyte each
        if (rnd.int(100) !== 0) break;
        inputs.push(Buffer.from(JSON.stringify({ ...templateJson, data: { pad: 'x'.repeat(600 * 1024) } })));
        break;
      case 6: {
        const depth = 40 + rnd.int(200);
        inputs.push(Buffer.from(`{"v":1,"data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`));
        break;
      }
      case 7: // signed by someone else, claiming to be the sender
        inputs.push(sealEnvelope(beat(sender), receiver.privateKey).bytes);
        break;
      case 8: // the sender speaking for another node
        inputs.push(sealEnvelope(beat(sender, other.nodeId), sender.privateKey).bytes);
        break;
      case 9: {
        // signed, but its data breaks the schema
        const bad = {
          ...beat(sender),
          data: { node: sender.nodeId, status: 'asleep', load: -1, maxTasks: 1, tasks: [] },
        };
        inputs.push(Buffer.from(JSON.stringify(signEnvelope(bad as never, sender.privateKey))));
        break;
      }
      case 10:
        inputs.push(sealEnvelope(beat(receiver), receiver.privateKey).bytes);
        break;
      case 11: {
        // a genuine batch: each of its messages is delivered
        const n = 1 + rnd.int(5);
        const messages = Array.from({ length: n }, () => ({
          type: 'availability_broadcast',
          data: beatData(sender.nodeId),
        }));
        const bytes = sealEnvelope(batch(messages), sender.privateKey).bytes;
        sent.push(bytes);
        genuine += n;
        batchExtra += n - 1;
        inputs.push(bytes);
        break;
      }
      case 12: {
        // a hostile batch, validly signed unless a byte is flipped after signing
        const good = { type: 'availability_broadcast', data: beatData(sender.nodeId) };
        const hostile = [
          { type: 'availability_broadcast', data: { ...beatData(sender.nodeId), status: 'asleep' } },
          { type: 'availability_broadcast', data: beatData(other.nodeId) },
          { type: 'actor_reply', data: { corr: 'c-1', ok: true, payload: 1 } },
          { type: 'message_batch', data: { messages: [good] } },
          { type: 'no_such_type', data: {} },
        ];
        const bad = hostile[rnd.int(hostile.length)]!;
        const messages = rnd.int(2) === 0 ? [good, bad] : [bad, good];
        const bytes = Buffer.from(JSON.stringify(signEnvelope(batch(messages), sender.privateKey)));
        if (rnd.int(4) === 0) {
          const signed = sealEnvelope(batch([good, good]), sender.privateKey).bytes;
          const at = rnd.int(signed.length);
          signed[at] = (signed[at]! ^ (1 + rnd.int(255))) & 0xff;
          inputs.push(signed);
        } else inputs.push(bytes);
        break;
      }
      default: {
        const bytes = Buffer.alloc(1 + rnd.int(300));
        for (let i = 0; i < bytes.length; i++) bytes[i] = rnd.int(256);
        inputs.push(bytes);
      }
    }
  }
  return { inputs, genuine, batchExtra };
}
