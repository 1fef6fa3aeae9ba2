/**
 * Cursor pagination of `list_tasks`: rows in task-key order (numbers compared as numbers, so
 * `#9` comes before `#10`), a page after the cursor's key. A cursor is opaque to the client
 * (base64url of the last key of the page it got), so a task that appears between two calls
 * shows up on a later page instead of shifting every page after it.
 */
import { BzzzError } from '../../lib/errors.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

const collator = new Intl.Collator('en', { numeric: true });

/** A cursor this server did not make. */
export class InvalidCursorError extends BzzzError {
  override readonly name = 'InvalidCursorError';
  constructor(readonly cursor: string) {
    super(`invalid cursor ${JSON.stringify(cursor.slice(0, 100))}: pass next_cursor of an earlier page`, {
      retryable: false,
    });
  }
}

export interface Page<T> {
  items: T[];
  /** The cursor of the next page, or null on the last one. */
  next: string | null;
  total: number;
}

/** The page of `rows` after `cursor`, at most `limit` long. */
export function paginate<T extends { key: string }>(
  rows: readonly T[],
  cursor: string | undefined,
  limit: number = DEFAULT_PAGE,
): Page<T> {
  const sorted = [...rows].sort((a, b) => collator.compare(a.key, b.key));
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  const rest = after === undefined ? sorted : sorted.filter((row) => collator.compare(row.key, after) > 0);
  const items = rest.slice(0, limit);
  const last = items.at(-1);
  const next = rest.length > items.length && last !== undefined ? encodeCursor(last.key) : null;
  return { items, next, total: sorted.length };
}

function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ after: key }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    const after = (value as { after?: unknown } | null)?.after;
    if (typeof after !== 'string') throw new Error('no key');
    return after;
  } catch {
    throw new InvalidCursorError(cursor);
  }
}
