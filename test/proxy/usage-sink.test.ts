// The usage sinks of the proxy pass one compliance suite: in memory, and the node's SQLite file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LocalUsageSink, MemoryUsageSink, type UsageSink } from '../../src/adapters/proxy/index.js';
import { usageSinkCompliance } from '../compliance/usage-sink.js';

let dir: string;
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bzzz-usage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

usageSinkCompliance('memory', {
  open: () => Promise.resolve(new MemoryUsageSink()),
  close: () => Promise.resolve(),
});

const opened = new Map<UsageSink, LocalUsageSink>();
const openLocal = (path: string): LocalUsageSink => {
  const sink = new LocalUsageSink(path);
  opened.set(sink, sink);
  return sink;
};

usageSinkCompliance('local (node:sqlite)', {
  open: () => Promise.resolve(openLocal(join(dir, `usage-${++files}`, 'usage.db'))),
  close: (sink) => Promise.resolve(opened.get(sink)?.close()),
  reopen: (sink) => {
    const local = opened.get(sink)!;
    local.close();
    return Promise.resolve(openLocal(local.path));
  },
});
