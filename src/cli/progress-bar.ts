/**
 * A byte progress bar on a terminal (stderr, redrawn in place with `\r`), for long copies
 * such as `bzzz cas put` of a large file. Off a terminal it draws nothing.
 */
import type { Writable } from 'node:stream';

export interface ProgressBar {
  update(bytes: number): void;
  done(): void;
}

const WIDTH = 30;
const MIB = 1024 * 1024;

/** A bar for `total` bytes (undefined: unknown, a counter only), at most ten redraws a second. */
export function progressBar(
  out: Writable,
  label: string,
  total: number | undefined,
  enabled: boolean,
): ProgressBar {
  if (!enabled) return { update: () => undefined, done: () => undefined };
  let last = 0;
  const draw = (bytes: number): void => {
    const mib = `${(bytes / MIB).toFixed(1)} MiB`;
    if (total === undefined || total === 0) {
      out.write(`\r${label} ${mib}`);
      return;
    }
    const share = Math.min(1, bytes / total);
    const filled = Math.round(share * WIDTH);
    out.write(
      `\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(share * 100).toFixed(0)}% ${mib}`,
    );
  };
  return {
    update(bytes) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(bytes);
    },
    done() {
      out.write('\r\x1b[2K');
    },
  };
}
