/**
 * The conditional and range headers of a blob request (RFC 9110 §13–14), for one ETag (the
 * hash) and one size: `If-None-Match` (a match answers 304), `Range` with one byte range
 * (206; `a-b`, `a-`, `-n`), `If-Range` (a different validator means the whole blob). A request
 * for several ranges gets the whole blob (200), as a server may answer; a range-spec that does
 * not parse is ignored the same way; a range that starts past the end is unsatisfiable (416).
 */
import type { ByteRange } from './types.js';

export type RangeRequest =
  { kind: 'whole' } | { kind: 'range'; range: ByteRange } | { kind: 'unsatisfiable' };

const WHOLE: RangeRequest = { kind: 'whole' };
const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/** The range a request asks for, given the blob's `etag` and `size`. */
export function requestedRange(headers: Headers, etag: string, size: number): RangeRequest {
  const header = headers.get('range');
  if (header === null) return WHOLE;
  const ifRange = headers.get('if-range');
  if (ifRange !== null && ifRange.trim() !== etag) return WHOLE;
  return parseRange(header, size);
}

export function parseRange(header: string, size: number): RangeRequest {
  const m = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (m === null) return WHOLE;
  const specs = m[1]!.split(',');
  if (specs.length !== 1) return WHOLE;
  const spec = SPEC.exec(specs[0]!);
  if (spec === null) return WHOLE;
  const [, first, last] = spec as unknown as [string, string, string];
  if (first === '' && last === '') return WHOLE;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return WHOLE;
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: 'range', range: { start, end } };
}

/** True when `If-None-Match` lists `etag` (weak or strong) or is `*`. */
export function noneMatch(headers: Headers, etag: string): boolean {
  const header = headers.get('if-none-match');
  if (header === null) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
