/**
 * Envelope benchmarks (issue 5): the cost of bzzz's message framing around Ed25519.
 *
 * - `envelope.verify`: decodeEnvelope (size check, JSON, schemas, sender key, canonical bytes,
 *   signature) of signed wire messages per second, against raw `crypto.verify` over the same
 *   canonical bytes with a ready key. Goal: ratio ≥ 0.9.
 * - `envelope.sign`: signEnvelope + wire encoding, against raw `crypto.sign` over the same bytes.
 * - `envelope.decode_unsigned`: decodeEnvelope with signing off, against bare `JSON.parse`.
 *
 * Ours and the baseline alternate in small batches within each round on the same messages,
 * timed in process CPU time (the machine is shared); rates are medians of rounds, ratios the
 * medians of each round's ratio.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import {
  createEnvelope,
  decodeEnvelope,
  encodeEnvelopeBytes,
  generateIdentity,
  sealEnvelope,
  signEnvelope,
  signingBytes,
  unsignedEnvelope,
  type Envelope,
  type UnsignedEnvelope,
} from '../src/protocol/index.js';
import { median, progress, round, throughput, type Benchmark, type Figure } from './lib.js';

const ROUNDS = 7;
const ROUND_MS = 1200;
const MESSAGES = 64;

/** CPU time of this process in ms (user + system, GC threads included). */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * Runs the baseline and ours in alternating batches for about `ms` milliseconds of CPU time in
 * total; returns ops per CPU-second of each. CPU time rather than wall time, and alternation,
 * so that other processes on a shared machine skew neither side.
 */
function paired(ms: number, base: (i: number) => void, ours: (i: number) => void): [number, number] {
  const BATCH = 32;
  let baseMs = 0;
  let oursMs = 0;
  let baseOps = 0;
  let oursOps = 0;
  while (baseMs + oursMs < ms) {
    let start = cpuMs();
    for (let k = 0; k < BATCH; k++) base(baseOps++);
    baseMs += cpuMs() - start;
    start = cpuMs();
    for (let k = 0; k < BATCH; k++) ours(oursOps++);
    oursMs += cpuMs() - start;
  }
  return [(baseOps / baseMs) * 1000, (oursOps / oursMs) * 1000];
}

function sampleMessages(node: string): UnsignedEnvelope[] {
  const out: UnsignedEnvelope[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const task = `local:demo/app#${i + 1}`;
    switch (i % 3) {
      case 0:
        out.push(
          createEnvelope({
            type: 'task_progress',
            from: node,
            data: { task, node, state: 'working', step: i, maxSteps: 40, command: 'npm test', message: 'ok' },
          }),
        );
        break;
      case 1:
        out.push(
          createEnvelope({
            type: 'availability_broadcast',
            from: node,
            data: { node, status: 'ready', load: 1, maxTasks: 3, tasks: [task] },
          }),
        );
        break;
      default:
        out.push(
          createEnvelope({
            type: 'actor_message',
            from: node,
            to: `bzzz://${node}/work/tasks/local:demo%2Fapp%23${i + 1}`,
            corr: `c${i}`,
            data: {
              to: `bzzz://${node}/work/tasks/local:demo%2Fapp%23${i + 1}`,
              type: 'task.step',
              payload: { step: i, output: 'All 12 tests passed', exitCode: 0 },
              replyTo: `bzzz://${node}/cli`,
              corr: `c${i}`,
            },
          }),
        );
    }
  }
  return out;
}

function mustDecode(wire: Buffer, verifySignatures: boolean): Envelope {
  const result = decodeEnvelope(wire, { verify: verifySignatures });
  if (!result.ok) throw new Error(`sample message rejected: ${result.reason} ${result.detail}`);
  return result.envelope;
}

async function run(): Promise<Figure[]> {
  const identity = generateIdentity();
  const unsigned = sampleMessages(identity.nodeId);
  const signed = unsigned.map((u) => signEnvelope(u, identity.privateKey));
  const wires = signed.map((e) => encodeEnvelopeBytes(e));
  const plainWires = unsigned.map((u) => encodeEnvelopeBytes(unsignedEnvelope(u)));
  const plainTexts = plainWires.map((w) => w.toString('utf8'));
  const bytes = unsigned.map((u) => signingBytes(u));
  const signatures = signed.map((e) => Buffer.from(e.sig, 'base64'));
  const key: KeyObject = identity.publicKey;
  for (const w of wires) mustDecode(w, true);
  for (const w of plainWires) mustDecode(w, false);

  const figures = {
    verify: { base: [] as number[], ours: [] as number[] },
    sign: { base: [] as number[], ours: [] as number[] },
    plain: { base: [] as number[], ours: [] as number[] },
  };
  let sink = 0;
  const at = (i: number): number => i % MESSAGES;
  for (let round = 0; round < ROUNDS; round++) {
    progress(`envelope round ${round + 1}/${ROUNDS}`);
    const [verifyBase, verifyOurs] = paired(
      ROUND_MS,
      (i) => void (sink += verify(null, bytes[at(i)]!, key, signatures[at(i)]!) ? 1 : 0),
      (i) => void (sink += decodeEnvelope(wires[at(i)]!, { verify: true }).ok ? 1 : 0),
    );
    figures.verify.base.push(verifyBase);
    figures.verify.ours.push(verifyOurs);
    const [signBase, signOurs] = paired(
      ROUND_MS,
      (i) => void (sink += sign(null, bytes[at(i)]!, identity.privateKey).length),
      (i) => void (sink += sealEnvelope(unsigned[at(i)]!, identity.privateKey).bytes.length),
    );
    figures.sign.base.push(signBase);
    figures.sign.ours.push(signOurs);
    const [plainBase, plainOurs] = paired(
      ROUND_MS / 2,
      (i) => void (sink += JSON.parse(plainTexts[at(i)]!) === null ? 0 : 1),
      (i) => void (sink += decodeEnvelope(plainWires[at(i)]!, { verify: false }).ok ? 1 : 0),
    );
    figures.plain.base.push(plainBase);
    figures.plain.ours.push(plainOurs);
  }
  if (sink === 0) throw new Error('nothing measured');
  const size = median(wires.map((w) => w.length));
  // Ours and the baseline are paired within a round (alternating batches), and the host's speed
  // drifts between rounds: the ratio is the median of the rounds' own ratios, the rates the
  // medians of the rounds' rates.
  const figure = (bench: string, baseline: string, f: { base: number[]; ours: number[] }): Figure => ({
    ...throughput(bench, 'msg/s', median(f.ours), baseline, median(f.base)),
    ratio: round(median(f.ours.map((ours, i) => ours / f.base[i]!)), 3),
  });
  return [
    { ...figure('envelope.verify', 'crypto.verify', figures.verify), extra: { bytes: size } },
    figure('envelope.sign', 'crypto.sign', figures.sign),
    figure('envelope.decode_unsigned', 'JSON.parse', figures.plain),
  ];
}

export default { name: 'envelope', run } satisfies Benchmark;
