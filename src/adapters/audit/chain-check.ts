/**
 * The structural half of a verify: given the records of a chain in the order the journal holds
 * them (each hashed, its signature checked, its fields parsed), the first entry that is not
 * where an untouched chain would have it, and what was done to it:
 * - a record that is no entry, or names another node, or whose signature does not verify
 *   (changed bytes, a forged signature) is itself the bad entry;
 * - a seq where another was expected is a removed entry (nothing later has the missing seq;
 *   the one found links to it, so its hash is known), an entry moved before its place
 *   (reordered), or the place an inserted entry took (the one found links past it);
 * - a `prev` that is not the previous entry's hash names the previous entry as changed (it
 *   was signed again: its own signature holds but its successor still links to the old one),
 *   or, when it links to an earlier entry, the entries in between as inserted.
 */

/** A bad entry: its seq (0 for the head itself), its blob hash when known, what is wrong. */
export interface AuditProblem {
  seq: number;
  hash: string | null;
  reason: string;
}

/** One journal record, checked. */
export interface CheckedRecord {
  hash: string;
  signed: boolean;
  /** The parsed fields, or undefined with `error` when the record is no entry. */
  entry?: { seq: number; prev: string | null; node: string };
  error?: string;
}

/** The first bad entry of `records` as `node`'s chain, or undefined when every link holds. */
export function checkLinks(records: readonly CheckedRecord[], node: string): AuditProblem | undefined {
  let positions: Map<string, number> | undefined;
  /** The 1-based position of the record with this hash, -1 when none. */
  const positionOf = (hash: string | null): number => {
    if (hash === null) return -1;
    positions ??= new Map(records.map((r, i) => [r.hash, i + 1]));
    return positions.get(hash) ?? -1;
  };
  for (let i = 0; i < records.length; i++) {
    const p = i + 1;
    const r = records[i]!;
    const e = r.entry;
    if (e === undefined)
      return { seq: p, hash: r.hash, reason: `not an audit entry (${r.error ?? 'unreadable'})` };
    if (e.node !== node) return { seq: p, hash: r.hash, reason: `names node ${e.node}, not ${node}` };
    if (!r.signed)
      return { seq: p, hash: r.hash, reason: `its signature is not ${node}'s: changed or forged` };
    if (e.seq > p) return ahead(records, i, e);
    const target = positionOf(e.prev);
    if (e.seq < p) {
      if (target >= 1 && target < p - 1)
        return inserted(records, target, `seq ${e.seq} at place ${p} links to seq ${target}, past it`);
      return { seq: e.seq, hash: r.hash, reason: `out of order: seq ${e.seq} comes after seq ${p - 1}` };
    }
    const expected = i === 0 ? null : records[i - 1]!.hash;
    if (e.prev === expected) continue;
    if (i === 0) return { seq: 1, hash: r.hash, reason: 'the first entry links to a previous one' };
    if (target >= 1 && target < p - 1)
      return inserted(records, target, `seq ${p} links to seq ${target}, past it`);
    return {
      seq: p - 1,
      hash: expected,
      reason: `changed: seq ${p} links to ${e.prev ?? 'nothing'}, not to this entry's hash`,
    };
  }
  return undefined;
}

/** A record whose seq is past its place: the entries before it were removed, or it moved. */
function ahead(
  records: readonly CheckedRecord[],
  i: number,
  e: { seq: number; prev: string | null },
): AuditProblem {
  const p = i + 1;
  const moved = records.some((x, j) => j > i && x.entry?.seq === p);
  if (moved)
    return { seq: e.seq, hash: records[i]!.hash, reason: `out of order: seq ${e.seq} comes before seq ${p}` };
  return {
    seq: p,
    hash: e.seq === p + 1 ? e.prev : null,
    reason: `removed: the journal goes from seq ${p - 1} to seq ${e.seq}`,
  };
}

function inserted(records: readonly CheckedRecord[], target: number, why: string): AuditProblem {
  return { seq: target + 1, hash: records[target]!.hash, reason: `inserted: ${why}` };
}

/** The problem to report of several: the lowest seq, the first found among equals. */
export function firstProblem(problems: readonly (AuditProblem | undefined)[]): AuditProblem | undefined {
  let first: AuditProblem | undefined;
  for (const problem of problems)
    if (problem !== undefined && (first === undefined || problem.seq < first.seq)) first = problem;
  return first;
}
