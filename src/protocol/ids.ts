/**
 * Message ids: ULIDs (26 Crockford base32 characters, 48 bits of time in milliseconds then 80
 * random bits) generated cheaply enough for the send path.
 *
 * The random part still comes from the operating system's CSPRNG (`crypto.randomBytes`), but
 * in chunks: one call fills a pool that serves a few hundred ids, instead of sixteen one-byte
 * draws per id. Each random character takes the low five bits of one fresh byte, which is
 * uniform since 256 is a multiple of 32, and no byte is ever used twice.
 */
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
/** The largest time a ULID can hold: 2^48 - 1 ms. */
const MAX_ULID_TIME = 2 ** 48 - 1;
/** Bytes fetched from the CSPRNG at once: 256 ids' worth. */
const POOL_BYTES = RANDOM_CHARS * 256;

let pool = randomBytes(POOL_BYTES);
let used = 0;

/** The ten characters of a ULID's time part; `now` is a whole number of ms in range. */
function encodeTime(now: number): string {
  let out = '';
  let rest = now;
  for (let i = 0; i < TIME_CHARS; i++) {
    const digit = rest % 32;
    out = CROCKFORD[digit]! + out;
    rest = (rest - digit) / 32;
  }
  return out;
}

/** The time part last encoded, and for which time: ids come many to a millisecond. */
let lastTime = -1;
let lastTimePart = '';

/** Sixteen random base32 characters, each from its own CSPRNG byte. */
function randomPart(): string {
  if (used + RANDOM_CHARS > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  let out = '';
  const end = used + RANDOM_CHARS;
  for (let i = used; i < end; i++) {
    out += CROCKFORD[pool[i]! & 31]!;
    // Spent bytes are wiped, so the pool never holds a random part already handed out.
    pool[i] = 0;
  }
  used = end;
  return out;
}

/**
 * A new ULID for time `now` (ms since the epoch). Throws a `RangeError` when `now` is not a
 * whole number of milliseconds a ULID can hold.
 */
export function newUlid(now: number): string {
  if (!Number.isInteger(now) || now < 0 || now > MAX_ULID_TIME) {
    throw new RangeError(`a ULID cannot hold the time ${now}`);
  }
  if (now !== lastTime) {
    lastTimePart = encodeTime(now);
    lastTime = now;
  }
  return lastTimePart + randomPart();
}
