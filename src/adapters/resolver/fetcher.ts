/**
 * A {@link BlobFetcher} over the content store's repair source (the CAS replicator's
 * `repairSource`, through the node's `RepairRelay`): the bytes a live holder sends, collected
 * up to a bound. The resolver verifies them against the hash before use.
 */
import type { RepairSource } from '../cas/index.js';
import type { BlobFetcher } from '../names/index.js';

/** Bytes past `maxBytes` end the fetch with an error (a replica sending without end). */
export function fetcherFromRepairSource(source: RepairSource, maxBytes = 256 * 1024 * 1024): BlobFetcher {
  return async (hash) => {
    const blob = await source(hash);
    if (blob === undefined || blob instanceof Uint8Array) return blob;
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of blob) {
      total += chunk.byteLength;
      if (total > maxBytes) throw new Error(`blob ${hash} from a replica exceeds ${maxBytes} bytes`);
      parts.push(chunk);
    }
    return Buffer.concat(parts);
  };
}
