/**
 * One process of the forge claim store's race test (run with `node --import tsx`): once the
 * parent creates the `go` file, it tries to claim every key in random order, several passes.
 * While it holds a key it proves it is alone from outside the store: it creates the key's
 * occupancy file with O_EXCL (`wx`; EEXIST means two holders at once) and appends its token to
 * the key's order file. Then it releases. Every step is a JSON line in its log.
 *
 * Argument: one JSON object, {@link RaceChildConfig}.
 */
import { appendFileSync, existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ForgeClaimStore } from '../../src/adapters/claims/index.js';
import { encodeClaimKey } from '../../src/adapters/claims/jetstream-key.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';

export interface RaceChildConfig {
  dir: string;
  cluster: string;
  keys: string[];
  holder: string;
  passes: number;
  /** Where the occupancy and order files go, and the `go` file appears. */
  runDir: string;
  logFile: string;
}

export type RaceEvent =
  | { type: 'grant'; holder: string; key: string; token: number }
  | { type: 'busy'; holder: string; key: string }
  | { type: 'overlap'; holder: string; key: string; token: number }
  | { type: 'release'; holder: string; key: string; token: number; ok: boolean };

const config = JSON.parse(process.argv[2] ?? '{}') as RaceChildConfig;
const log = (event: RaceEvent): void => appendFileSync(config.logFile, `${JSON.stringify(event)}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function holdAlone(key: string, token: number): Promise<void> {
  const occupancy = join(config.runDir, `${encodeClaimKey(key)}.holder`);
  let mine = true;
  try {
    writeFileSync(occupancy, `${config.holder} ${token}`, { flag: 'wx' });
  } catch {
    mine = false;
    log({ type: 'overlap', holder: config.holder, key, token });
  }
  appendFileSync(join(config.runDir, `${encodeClaimKey(key)}.order`), `${token}\n`);
  await sleep(Math.random() * 3);
  if (mine) unlinkSync(occupancy);
}

async function main(): Promise<void> {
  const store = new ForgeClaimStore(
    { dir: config.dir, cluster: config.cluster },
    { clock: systemClock, logger: silentLogger() },
  );
  await store.start();
  process.stdout.write('ready\n');
  while (!existsSync(join(config.runDir, 'go'))) await sleep(5);
  for (let pass = 0; pass < config.passes; pass++) {
    const keys = [...config.keys].sort(() => Math.random() - 0.5);
    for (const key of keys) {
      const lease = await store.claim(key, config.holder, 60_000);
      if (lease === null) {
        log({ type: 'busy', holder: config.holder, key });
        continue;
      }
      log({ type: 'grant', holder: config.holder, key, token: lease.token });
      await holdAlone(key, lease.token);
      await lease.assertHeld();
      const ok = await store.release(lease, 'race');
      log({ type: 'release', holder: config.holder, key, token: lease.token, ok });
    }
  }
  await store.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`race child ${config.holder}: ${String(error)}\n`);
    process.exit(1);
  },
);
