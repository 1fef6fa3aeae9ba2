/**
 * Actor addresses: `bzzz://<node id>/<segment>/<segment>/…`, a node id plus a path of one or
 * more segments (`bzzz://12D3KooW…/work/tasks/local:demo%2Fapp%233`).
 *
 * A segment is any non-empty string of printable characters without white space, at most
 * 200 UTF-8 bytes, and not `.` or `..`. In the address text a segment is percent-encoded like
 * a URI path segment: characters outside RFC 3986 `pchar` (letters, digits, `-._~`,
 * `!$&'()*+,;=`, `:` and `@`) become `%XX` of their UTF-8 bytes, so a task key such as
 * `local:demo/app#3` is one segment, written `local:demo%2Fapp%233` (the `/` and `#` would
 * otherwise split the path and start a URI fragment). Parsing accepts any valid percent-
 * encoding and `formatAddress` writes the canonical one. The mapping to NATS subjects, which is
 * reversible, lives in `subjects.ts`.
 */
import { InvalidAddressError } from './errors.js';
import { MAX_ADDRESS, MAX_PATH_SEGMENTS, MAX_SEGMENT_BYTES } from './limits.js';
import { isNodeId, type NodeId } from './node-id.js';

/** A parsed actor address. */
export interface Address {
  readonly node: NodeId;
  /** One or more path segments, unescaped. */
  readonly path: readonly string[];
}

/** The URI scheme of actor addresses. */
export const ADDRESS_SCHEME = 'bzzz://';

const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
const ESCAPED_SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$/;
// Control characters, white space and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex -- control characters are what it rejects
const FORBIDDEN = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/u;

/** Why `segment` cannot be an actor path segment, or `undefined` when it can. */
export function segmentProblem(segment: string): string | undefined {
  if (segment.length === 0) return 'empty segment';
  if (segment === '.' || segment === '..') return 'dot segment';
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES)
    return `segment over ${MAX_SEGMENT_BYTES} bytes`;
  if (FORBIDDEN.test(segment)) return 'white space or control character in a segment';
  if (!segment.isWellFormed()) return 'lone surrogate in a segment';
  return undefined;
}

/** Checks an actor path; throws {@link InvalidAddressError}. */
export function assertActorPath(path: readonly string[]): void {
  if (path.length === 0) throw new InvalidAddressError('', 'an actor path has at least one segment');
  if (path.length > MAX_PATH_SEGMENTS) {
    throw new InvalidAddressError(path.join('/'), `more than ${MAX_PATH_SEGMENTS} segments`);
  }
  for (const segment of path) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw new InvalidAddressError(segment, problem);
  }
}

/** Percent-encodes one segment (canonical form: upper-case hex, only non-`pchar` escaped). */
export function escapeSegment(segment: string): string {
  let out = '';
  for (const ch of segment) {
    if (PCHAR.test(ch)) {
      out += ch;
    } else {
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** Formats a path as `seg/seg/…` with each segment escaped. */
export function formatActorPath(path: readonly string[]): string {
  assertActorPath(path);
  return path.map(escapeSegment).join('/');
}

/** Parses `seg/seg/…` (escaped segments) into segments; throws {@link InvalidAddressError}. */
export function parseActorPath(text: string): string[] {
  if (text.length > MAX_ADDRESS) throw new InvalidAddressError(text, `longer than ${MAX_ADDRESS} characters`);
  const path = text.split('/').map((escaped) => {
    if (escaped.length === 0) throw new InvalidAddressError(text, 'empty segment');
    if (!ESCAPED_SEGMENT.test(escaped)) {
      throw new InvalidAddressError(text, `segment ${JSON.stringify(escaped)} needs percent-encoding`);
    }
    try {
      return decodeURIComponent(escaped);
    } catch (error) {
      throw new InvalidAddressError(text, 'percent-encoding is not UTF-8', { cause: error });
    }
  });
  assertActorPath(path);
  return path;
}

/** Formats an address; throws {@link InvalidAddressError} for a bad node id or path. */
export function formatAddress(address: Address): string {
  if (!isNodeId(address.node)) throw new InvalidAddressError(address.node, 'not a node id');
  const text = `${ADDRESS_SCHEME}${address.node}/${formatActorPath(address.path)}`;
  if (text.length > MAX_ADDRESS) throw new InvalidAddressError(text, `longer than ${MAX_ADDRESS} characters`);
  return text;
}

/** Largest number of parsed addresses remembered by {@link parseAddress}. */
const PARSED_CACHE_SIZE = 4096;
const parsedAddresses = new Map<string, Address>();

/**
 * Parses `bzzz://<node id>/<path>`; throws {@link InvalidAddressError}. Recently parsed
 * addresses are remembered (frozen, so callers share them safely): a node sees the same few
 * addresses on message after message.
 */
export function parseAddress(text: string): Address {
  const cached = parsedAddresses.get(text);
  if (cached !== undefined) return cached;
  const address = parseAddressText(text);
  Object.freeze(address.path);
  Object.freeze(address);
  if (parsedAddresses.size >= PARSED_CACHE_SIZE) parsedAddresses.clear();
  parsedAddresses.set(text, address);
  return address;
}

function parseAddressText(text: string): Address {
  if (text.length > MAX_ADDRESS) throw new InvalidAddressError(text, `longer than ${MAX_ADDRESS} characters`);
  if (!text.startsWith(ADDRESS_SCHEME))
    throw new InvalidAddressError(text, `expected ${ADDRESS_SCHEME}<node id>/<path>`);
  const rest = text.slice(ADDRESS_SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash < 0) throw new InvalidAddressError(text, 'no actor path after the node id');
  const node = rest.slice(0, slash);
  if (!isNodeId(node)) throw new InvalidAddressError(text, 'not a node id');
  return { node, path: parseActorPath(rest.slice(slash + 1)) };
}

/** Like {@link parseAddress}, but `undefined` instead of an error. */
export function tryParseAddress(text: string): Address | undefined {
  try {
    return parseAddress(text);
  } catch {
    return undefined;
  }
}

/** Largest number of valid addresses remembered by {@link isAddress}. */
const VALID_CACHE_SIZE = 4096;
const validAddresses = new Set<string>();

/** True when `text` is a valid address (recently seen valid ones are remembered). */
export function isAddress(text: string): boolean {
  // The same address comes message after message (all of a batch's carry one): comparing with
  // the last one costs less than hashing a string just received.
  if (text === lastValid && typeof text === 'string') return true;
  if (!validAddresses.has(text) && !parsedAddresses.has(text)) {
    if (tryParseAddress(text) === undefined) return false;
    if (validAddresses.size >= VALID_CACHE_SIZE) validAddresses.clear();
    validAddresses.add(text);
  }
  lastValid = text;
  return true;
}

/** The address {@link isAddress} last found valid. */
let lastValid: string | undefined;

/** The address of a child: the parent's path plus `segments`. */
export function childAddress(parent: Address, ...segments: string[]): Address {
  const path = [...parent.path, ...segments];
  assertActorPath(path);
  return { node: parent.node, path };
}
