/**
 * The one check every task name record passes before anything trusts it, wherever it came
 * from (the local table, the KV bucket, the DHT, a peer's push): a well-formed record signed
 * by the node it names (name-record.ts), for the path of the task's artifact that was asked
 * for, by the node the place it came from says it belongs to, with a value that is a task
 * name value (task-names.ts). Anything else is an {@link InvalidNameRecordError}.
 */
import {
  checkNameRecord,
  decodeNameRecord,
  decodeTaskNameValue,
  InvalidNameRecordError,
  nameOfRecord,
  parseTaskRecordPath,
  type NameRecord,
  type TaskArtifact,
  type TaskNameValue,
} from '../../protocol/index.js';
import type { FoundNameRecord } from './types.js';

/** A record that passed the check, with its value decoded. */
export interface CheckedTaskRecord {
  record: NameRecord;
  value: TaskNameValue;
  nameId: string;
  artifact: TaskArtifact;
}

/** What was asked for; a record for another task or artifact is refused (`wrong_key`). */
export interface TaskRecordWanted {
  nameId: string;
  artifact: TaskArtifact;
}

/** Checks a found record; throws {@link InvalidNameRecordError} naming what is wrong. */
export function checkTaskRecord(found: FoundNameRecord, wanted?: TaskRecordWanted): CheckedTaskRecord {
  const record =
    found.record instanceof Uint8Array ? decodeNameRecord(found.record) : checkNameRecord(found.record);
  if (found.node !== undefined && found.node !== record.node) {
    throw new InvalidNameRecordError('wrong_key', `a record of ${record.node} where ${found.node}'s belongs`);
  }
  const parsed = parseTaskRecordPath(nameOfRecord(record).path);
  if (parsed === undefined) throw new InvalidNameRecordError('wrong_key', `${record.path} is no task name`);
  if (wanted !== undefined && (parsed.nameId !== wanted.nameId || parsed.artifact !== wanted.artifact)) {
    throw new InvalidNameRecordError('wrong_key', `a record of ${record.path}, not of the name asked for`);
  }
  const value = decodeTaskNameValue(record.value);
  if ((parsed.artifact === 'pr') !== (value.url !== undefined)) {
    throw new InvalidNameRecordError('malformed', `a ${parsed.artifact} record with the wrong kind of value`);
  }
  return { record, value, nameId: parsed.nameId, artifact: parsed.artifact };
}

/** `checkTaskRecord`, or the problem that refused it. */
export function tryCheckTaskRecord(
  found: FoundNameRecord,
  wanted?: TaskRecordWanted,
): { checked: CheckedTaskRecord } | { problem: InvalidNameRecordError } {
  try {
    return { checked: checkTaskRecord(found, wanted) };
  } catch (error) {
    if (error instanceof InvalidNameRecordError) return { problem: error };
    return {
      problem: new InvalidNameRecordError(
        'malformed',
        error instanceof Error ? error.message : 'unreadable',
        {
          cause: error,
        },
      ),
    };
  }
}
