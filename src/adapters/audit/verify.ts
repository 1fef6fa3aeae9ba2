/**
 * `bzzz audit verify` of this data dir's own chain: the signed head, then every journal record
 * hashed and its signature checked (entry-checker.ts, in worker threads for a long chain), the
 * links and the sequence (chain-check.ts), the heads of this node that peers witnessed and any
 * fork evidence about it (witnesses.json), and that the content store holds each entry's blob
 * (read and verified with `blobs`). Reports the first bad entry; never throws for what it
 * finds on disk.
 */
import { checkLinks, firstProblem, type AuditProblem, type CheckedRecord } from './chain-check.js';
import { decodeAuditEntry, verifyAuditHead, type SignedAuditHead } from '../../protocol/audit.js';
import { publicKeyForNodeId } from '../../protocol/node-id.js';
import { describeError } from '../../lib/errors.js';
import type { ContentStore } from '../cas/index.js';
import { EntryChecker } from './entry-checker.js';
import { auditPaths } from './files.js';
import { readHeadFile, type HeadFile } from './head-file.js';
import { JournalReader, type JournalRecord } from './journal.js';
import { readWatermark } from './publisher.js';
import { readWitnessFile, type WitnessFile } from './witness-file.js';

export type { AuditProblem } from './chain-check.js';

/** What a verify found. */
export interface ChainReport {
  ok: boolean;
  /** The chain's node, null when the data dir has neither a chain nor an identity. */
  node: string | null;
  entries: number;
  head: SignedAuditHead | null;
  /** Witnessed heads the chain was compared with. */
  witnessed: number;
  /** The first bad entry, null when the chain is good. */
  problem: AuditProblem | null;
  notes: string[];
}

export interface VerifyChainOptions {
  /** The data dir's node id (its identity key); default: the head's. */
  nodeId?: string;
  /** The content store to find each entry's blob in; without it, only the journal is checked. */
  store?: ContentStore;
  /** Read and verify every blob from the store, not only look it up. */
  blobs?: boolean;
  /** Threads checking signatures (default: the CPUs, at most 4). */
  workers?: number;
}

const BATCH = 1024;

export async function verifyChain(dataDir: string, options: VerifyChainOptions = {}): Promise<ChainReport> {
  const paths = auditPaths(dataDir);
  const notes: string[] = [];
  let file: HeadFile | undefined;
  let witnesses: WitnessFile;
  try {
    file = await readHeadFile(paths.head);
    witnesses = await readWitnessFile(paths.witnesses);
  } catch (error) {
    return report(
      options.nodeId ?? null,
      0,
      null,
      0,
      { seq: 0, hash: null, reason: describeError(error) },
      notes,
    );
  }
  const head = file?.head ?? null;
  const node = options.nodeId ?? head?.node ?? null;
  const key = node === null ? undefined : publicKeyForNodeId(node);
  if (node === null || key === undefined) {
    const records = await countRecords(paths.journal);
    const problem = records > 0 ? { seq: 1, hash: null, reason: 'entries without a signed head' } : null;
    return report(node, records, null, 0, problem, notes);
  }
  const headProblem = checkHead(head, node);
  const records = await readRecords(paths.journal, file, key, options.workers, notes);
  const hashAt = (seq: number) => records[seq - 1]?.hash;
  // heads of this node peers witnessed, and both heads of any fork evidence about it
  const witnessed = [
    ...witnesses.self,
    ...witnesses.forks
      .filter((f) => f.node === node)
      .flatMap((f) => [f.witnessed, f.conflicting].map((h) => ({ head: h, by: `${f.by} (fork evidence)` }))),
  ];
  const problems = [
    headProblem,
    checkLinks(records, node),
    endProblem(head, records),
    ...witnessed.map(({ head: w, by }) => witnessProblem(w, by, records.length, hashAt(w.seq))),
  ];
  if (options.store !== undefined) {
    const published = Math.min(await readWatermark(paths.published), records.length);
    problems.push(await storeProblem(options.store, records, published, options.blobs === true));
    if (published < records.length)
      notes.push(
        `${records.length - published} entries not copied into the content store yet (the node copies them)`,
      );
  }
  return report(node, records.length, head, witnessed.length, firstProblem(problems) ?? null, notes);
}

function report(
  node: string | null,
  entries: number,
  head: SignedAuditHead | null,
  witnessed: number,
  problem: AuditProblem | null,
  notes: string[],
): ChainReport {
  return { ok: problem === null, node, entries, head, witnessed, problem, notes };
}

function checkHead(head: SignedAuditHead | null, node: string): AuditProblem | undefined {
  if (head === null) return undefined;
  if (head.node !== node)
    return {
      seq: head.seq,
      hash: head.hash,
      reason: `the head is signed for node ${head.node}, not ${node}`,
    };
  if (!verifyAuditHead(head))
    return { seq: head.seq, hash: head.hash, reason: `the head's signature is not ${node}'s` };
  return undefined;
}

/** The chain's end against its signed head. */
function endProblem(
  head: SignedAuditHead | null,
  records: readonly CheckedRecord[],
): AuditProblem | undefined {
  const n = records.length;
  if (head === null)
    return n === 0 ? undefined : { seq: 1, hash: records[0]!.hash, reason: 'entries without a signed head' };
  if (head.seq > n)
    return {
      seq: n + 1,
      hash: null,
      reason: `removed: the signed head covers seq ${head.seq}, the journal ends at seq ${n}`,
    };
  if (records[head.seq - 1]!.hash !== head.hash)
    return {
      seq: head.seq,
      hash: records[head.seq - 1]!.hash,
      reason: `changed: its hash is not the signed head's ${head.hash}`,
    };
  if (n > head.seq)
    return { seq: head.seq + 1, hash: records[head.seq]!.hash, reason: 'inserted: past the signed head' };
  return undefined;
}

function witnessProblem(
  w: SignedAuditHead,
  by: string,
  n: number,
  hash: string | undefined,
): AuditProblem | undefined {
  if (w.seq > n)
    return {
      seq: n + 1,
      hash: null,
      reason: `removed: ${by} witnessed seq ${w.seq} (${w.hash}), the chain ends at seq ${n}`,
    };
  if (hash !== w.hash)
    return {
      seq: w.seq,
      hash: hash ?? null,
      reason: `forks from the head ${by} witnessed at seq ${w.seq} (${w.hash})`,
    };
  return undefined;
}

/** Every published entry's blob in the store (read and verified with `read`). */
async function storeProblem(
  store: ContentStore,
  records: readonly CheckedRecord[],
  published: number,
  read: boolean,
): Promise<AuditProblem | undefined> {
  for (let seq = 1; seq <= published; seq++) {
    const hash = records[seq - 1]!.hash;
    try {
      if (read) await store.get(hash);
      else if (!(await store.has(hash))) return { seq, hash, reason: 'its blob is not in the content store' };
    } catch (error) {
      return { seq, hash, reason: `its blob in the content store is unreadable: ${describeError(error)}` };
    }
  }
  return undefined;
}

/**
 * The records of the chain the head covers (all the journal's when no record ends where the
 * head says: then the links tell what moved), hashed, signature-checked and parsed.
 */
async function readRecords(
  journal: string,
  file: HeadFile | undefined,
  key: NonNullable<ReturnType<typeof publicKeyForNodeId>>,
  workers: number | undefined,
  notes: string[],
): Promise<CheckedRecord[]> {
  const checker = new EntryChecker(key, workers);
  const reader = new JournalReader(journal);
  const pending: Promise<CheckedRecord[]>[] = [];
  let batch: JournalRecord[] = [];
  let cut: number | undefined;
  const flush = () => {
    if (batch.length > 0) pending.push(checkBatch(checker, batch));
    batch = [];
  };
  try {
    let count = 0;
    for await (const record of reader.records()) {
      batch.push(record);
      count++;
      if (record.offset + 4 + record.bytes.length === file?.journal) cut = count;
      if (batch.length === BATCH) flush();
    }
    flush();
    const records = (await Promise.all(pending)).flat();
    if (reader.torn) notes.push(`${reader.size - reader.end} bytes at the journal's end are no whole entry`);
    if (cut !== undefined && cut < records.length)
      notes.push(
        `${records.length - cut} entries past the head: an append a stop interrupted (the node cuts them off)`,
      );
    return cut === undefined ? records : records.slice(0, cut);
  } finally {
    await checker.close();
  }
}

async function checkBatch(checker: EntryChecker, batch: JournalRecord[]): Promise<CheckedRecord[]> {
  const blobs = batch.map((r) => r.bytes);
  const checked = checker.check(blobs);
  const parsed = blobs.map((blob) => {
    try {
      const { seq, prev, node } = decodeAuditEntry(blob);
      return { entry: { seq, prev, node } };
    } catch (error) {
      return { error: describeError(error) };
    }
  });
  const { hashes, signed } = await checked;
  return parsed.map((p, i) => ({ ...p, hash: hashes[i]!, signed: signed[i]! }));
}

async function countRecords(journal: string): Promise<number> {
  let n = 0;
  for await (const _ of new JournalReader(journal).records()) n++;
  return n;
}
