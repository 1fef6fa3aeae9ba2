/**
 * `npm run bench [-- NAME...]`: runs every benchmark (or the named ones) and prints, last,
 * one JSON line per figure on stdout (SPEC §11).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { progress, type Benchmark, type Figure } from './lib.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const wanted = process.argv.slice(2);

const figures: Figure[] = [];
let failed = false;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: Benchmark };
  const bench = mod.default;
  if (
    wanted.length > 0 &&
    !wanted.some((w) => bench.name === w || bench.name.startsWith(`${w}.`) || file.startsWith(w))
  )
    continue;
  progress(`running ${bench.name}`);
  try {
    figures.push(...(await bench.run()));
  } catch (error) {
    failed = true;
    progress(`${bench.name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
if (figures.length === 0 && wanted.length > 0) {
  process.stderr.write(`no benchmark named ${wanted.join(', ')}\n`);
  process.exit(2);
}
for (const f of figures) process.stdout.write(`${JSON.stringify(f)}\n`);
process.exit(failed ? 1 : 0);
