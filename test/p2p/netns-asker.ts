/**
 * An ask across the namespaces' LAN, from outside the cluster's processes: `netns-ask-peer.ts`
 * runs in the LAN's spare host (the last one) as a fourth libp2p peer with the cluster key,
 * and asks each node's agent actor (`root/work/agent-1/agent`) for its load. No command or
 * HTTP endpoint of a node asks its peers over libp2p, so a peer of the test's own does.
 */
import { fileURLToPath } from 'node:url';
import type { Lan } from '../helpers/netns.js';

const PEER = fileURLToPath(new URL('./netns-ask-peer.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
/** The agent actor of a node's first agent. */
export const AGENT_PATH = 'root/work/agent-1/agent';

export interface LoadAnswer {
  node: string;
  load: unknown;
}

/** Asks every node of `nodes` from the LAN's last host; throws with the peer's one line. */
export async function askAcrossLan(lan: Lan, pskFile: string, nodes: string[]): Promise<LoadAnswer[]> {
  const host = lan.hosts.at(-1)!;
  const deadlineMs = 60_000;
  const result = await lan.exec(
    host.netns,
    [
      'env',
      `ASKER_PSK_FILE=${pskFile}`,
      `ASKER_LISTEN=/ip4/${host.address}/tcp/9100`,
      `ASKER_NODES=${nodes.join(',')}`,
      `ASKER_PATH=${AGENT_PATH}`,
      `ASKER_DEADLINE_MS=${deadlineMs}`,
      process.execPath,
      '--import',
      TSX,
      PEER,
    ],
    deadlineMs + 30_000,
  );
  if (result.code !== 0) throw new Error(`the asking peer failed: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as LoadAnswer[];
}
