/**
 * A process that puts one finished blob, then starts a put that never ends and reports each
 * MiB written on stdout ("written N"), so test/cas/faults.test.ts can kill -9 it midway.
 */
import { Readable } from 'node:stream';
import { createContentStore } from '../../src/adapters/cas/index.js';
import { silentLogger, systemClock } from '../../src/lib/index.js';

const [dataDir, finished] = process.argv.slice(2);
const store = createContentStore({ dataDir: dataDir! }, { logger: silentLogger(), clock: systemClock });
await store.start();
await store.put(Buffer.from(finished!));
let n = 0;
const endless = new Readable({
  read() {
    n++;
    setTimeout(() => {
      this.push(Buffer.alloc(1024 * 1024, n % 251));
      process.stdout.write(`written ${n}\n`);
    }, 5);
  },
});
await store.put(endless);
