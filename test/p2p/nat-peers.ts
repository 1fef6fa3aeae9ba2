/**
 * Runs `nat-peer.ts` inside a network namespace and talks to it: one JSON command per line
 * on its stdin, one JSON answer per line on its stdout (see nat-peer.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PeerCommand } from './nat-peer.js';

const PEER = fileURLToPath(new URL('./nat-peer.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export interface PeerConnection {
  address: string;
  direction: 'inbound' | 'outbound';
  relayed: boolean;
}

export interface PeerStatus {
  node: string;
  addresses: string[];
  reachability: string;
  relays: string[];
}

export interface EchoAnswer {
  answer: { node: string; echo: unknown };
  connections: PeerConnection[];
}

export interface NatPeer {
  name: string;
  nodeId: string;
  status(): Promise<PeerStatus>;
  connections(peer: string): Promise<PeerConnection[]>;
  /** Dials `address`; rejects with the peer's error when the dial fails. */
  dial(address: string): Promise<PeerConnection[]>;
  hangUp(peer: string): Promise<void>;
  ask(node: string, data: unknown): Promise<EchoAnswer>;
  /** What it printed on stderr. */
  stderr(): string;
  /** Ends its stdin (it stops its node and exits), then kills it if it is still there. */
  stop(): Promise<void>;
}

type Op = Omit<PeerCommand, 'id'>;

/** Starts a peer in `netns`; resolves once its node runs. */
export async function startPeer(
  name: string,
  netns: string,
  env: {
    PEER_DATA_DIR: string;
    PEER_PSK_FILE: string;
    PEER_LISTEN: string;
    PEER_RELAY?: string;
    PEER_ANNOUNCE?: string;
  },
): Promise<NatPeer> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', netns, process.execPath, '--import', TSX, PEER], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: (id: string) => void = () => undefined;
  const readyId = new Promise<string>((resolve, reject) => {
    ready = resolve;
    child.on('exit', (code) => reject(new Error(`${name} exited with ${String(code)}: ${stderr.trim()}`)));
  });
  child.on('exit', (code) => {
    for (const { reject } of waiting.values()) reject(new Error(`${name} exited with ${String(code)}`));
    waiting.clear();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as {
      ready?: string;
      id?: number;
      ok?: boolean;
      value?: unknown;
      error?: string;
    };
    if (message.ready !== undefined) return ready(message.ready);
    const entry = waiting.get(message.id!);
    waiting.delete(message.id!);
    if (message.ok === true) entry?.resolve(message.value);
    else entry?.reject(new Error(`${name}: ${message.error ?? 'failed'}`));
  });
  let next = 0;
  const send = <T>(op: Op): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve: (v) => resolve(v as T), reject });
      child.stdin!.write(`${JSON.stringify({ id, ...op })}\n`);
    });
  const nodeId = await readyId;
  return {
    name,
    nodeId,
    status: () => send({ op: 'status' }),
    connections: (peer) => send({ op: 'connections', peer }),
    dial: (address) => send({ op: 'dial', address }),
    hangUp: (peer) => send({ op: 'hangUp', peer }),
    ask: (node, data) => send({ op: 'ask', node, data }),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
