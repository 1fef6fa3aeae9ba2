/**
 * The head file, `<data_dir>/audit/head.json`: the signed head of this node's chain and the
 * journal length it covers. Moving it (atomically, after the journal's fsync) is what commits
 * an append.
 */
import { z } from 'zod';
import { auditHeadSchema, verifyAuditHead, type SignedAuditHead } from '../../protocol/audit.js';
import { readOptional, writeFileAtomic } from './files.js';

const headFileSchema = z.strictObject({
  head: auditHeadSchema,
  /** Bytes of the journal that hold entries 1 to `head.seq`. */
  journal: z.int().min(0),
});
export type HeadFile = z.infer<typeof headFileSchema>;

/** The head file, undefined when there is none; throws a message saying what is wrong. */
export async function readHeadFile(path: string): Promise<HeadFile | undefined> {
  const bytes = await readOptional(path);
  if (bytes === undefined) return undefined;
  let input: unknown;
  try {
    input = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  const parsed = headFileSchema.safeParse(input);
  if (!parsed.success) throw new Error(`${path} is no head file: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

export function writeHeadFile(path: string, head: SignedAuditHead, journal: number): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify({ head, journal })}\n`);
}

/** After a failed write: whether the head file holds `head` all the same (the rename went through). */
export async function headOnDisk(path: string, head: SignedAuditHead): Promise<boolean> {
  try {
    const file = await readHeadFile(path);
    return file?.head.sig === head.sig && verifyAuditHead(file.head);
  } catch {
    return false;
  }
}
