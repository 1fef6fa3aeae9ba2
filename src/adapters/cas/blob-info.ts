/** Small conversions at the content store's edge: an index row as the port shows it, and a reference's source checked. */
import { CasIoError } from './errors.js';
import { parseBlobHash } from './hash.js';
import type { IndexedBlob } from './index-db.js';
import type { BlobInfo } from './types.js';

/** An index row as `stat` and `list` show it. */
export function info(row: IndexedBlob): BlobInfo {
  const { missing: _missing, ...rest } = row;
  return rest;
}

/** A reference's source: `blob:<hash>` or a record name of at most 500 characters. */
export function refSource(from: string): string {
  if (from.startsWith('blob:')) return `blob:${parseBlobHash(from.slice(5))}`;
  if (from.length === 0 || from.length > 500)
    throw new CasIoError('reference', {
      retryable: false,
      cause: new Error(`bad reference source ${JSON.stringify(from.slice(0, 80))}`),
    });
  return from;
}
