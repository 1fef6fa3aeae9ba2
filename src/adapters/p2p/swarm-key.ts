/**
 * Pre-shared keys of a private network (libp2p's `pnet`): every node of one cluster holds the
 * same 32 random bytes, and a connection whose two ends hold different keys fails before any
 * libp2p protocol runs. The file is the format go-ipfs/kubo and js-libp2p share:
 *
 * ```
 * /key/swarm/psk/1.0.0/
 * /base16/
 * <64 hex digits>
 * ```
 *
 * `generateSwarmKey` is what `bzzz p2p keygen` prints; `parseSwarmKey` checks a file before the
 * node starts, so a broken key is a configuration error naming the file, not a failed dial.
 */
import { randomBytes } from 'node:crypto';
import { SwarmKeyError } from './errors.js';

const HEADER = '/key/swarm/psk/1.0.0/';
const ENCODING = '/base16/';
const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/** A new random swarm key, as the text of a key file (ends with a newline). */
export function generateSwarmKey(): string {
  return `${HEADER}\n${ENCODING}\n${randomBytes(32).toString('hex')}\n`;
}

/**
 * Checks a swarm key file's content and returns the bytes libp2p's `preSharedKey` takes (the
 * three lines, normalised). Throws {@link SwarmKeyError} naming `source` when it is not one.
 */
export function parseSwarmKey(content: string | Uint8Array, source = '<swarm key>'): Uint8Array {
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length !== 3) throw new SwarmKeyError(source, `expected 3 lines, found ${lines.length}`);
  const [header, encoding, key] = lines as [string, string, string];
  if (header !== HEADER) throw new SwarmKeyError(source, `the first line must be ${HEADER}`);
  if (encoding !== ENCODING) throw new SwarmKeyError(source, `the second line must be ${ENCODING}`);
  if (!HEX_KEY.test(key)) throw new SwarmKeyError(source, 'the key must be 64 hex digits');
  return new TextEncoder().encode(`${HEADER}\n${ENCODING}\n${key.toLowerCase()}`);
}
