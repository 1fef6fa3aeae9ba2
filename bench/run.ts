/**
 * `npm run bench [-- NAME...]`: runs every benchmark (or the named ones) and prints, last,
 * one JSON line per figure on stdout (SPEC §11). A NAME is a benchmark (`mailbox`: all its
 * figures) or a figure (`mailbox.send`, `nats.ask`, `election.failover`): the benchmark whose
 * source spells that figure runs whole, and only the figure (with its dotted variants such as
 * `nats.ask.signed`) is printed. An unknown NAME fails before anything runs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { progress, type Benchmark, type Figure } from './lib.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const wanted = process.argv.slice(2);

const benches: { file: string; bench: Benchmark; source: string }[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: Benchmark };
  benches.push({ file, bench: mod.default, source: readFileSync(join(dir, file), 'utf8') });
}

/** `w` names this benchmark, its file, or a figure under its name (`mailbox.send` → `mailbox`). */
const namesBench = (w: string, { file, bench }: { file: string; bench: Benchmark }): boolean =>
  bench.name === w || bench.name.startsWith(`${w}.`) || file.startsWith(w) || w.startsWith(`${bench.name}.`);

/**
 * The benchmark's source spells a figure `w` (or a family of it) as a string literal: figures
 * not named after their benchmark (`election.failover` comes from `claims`) are found so,
 * without running every benchmark to learn their names.
 */
const declaresFigure = (w: string, source: string): boolean =>
  new RegExp(`['"\`]${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(['"\`.]|\\$\\{)`).test(source);

/** `w` names this figure or a family of it (`nats.ask` → `nats.ask`, `nats.ask.signed`). */
const namesFigure = (w: string, figure: Figure): boolean =>
  figure.bench === w || figure.bench.startsWith(`${w}.`);

const selects = (w: string, b: (typeof benches)[number]): boolean =>
  namesBench(w, b) || declaresFigure(w, b.source);
const unknown = wanted.filter((w) => !benches.some((b) => selects(w, b)));
if (unknown.length > 0) {
  process.stderr.write(`no benchmark or figure named ${unknown.join(', ')}\n`);
  process.exit(2);
}
const selected = wanted.length === 0 ? benches : benches.filter((b) => wanted.some((w) => selects(w, b)));

const figures: Figure[] = [];
let failed = false;
for (const { file, bench } of selected) {
  progress(`running ${bench.name}`);
  try {
    const whole = wanted.length === 0 || wanted.some((w) => bench.name === w || file.startsWith(w));
    const reported = await bench.run();
    figures.push(...(whole ? reported : reported.filter((f) => wanted.some((w) => namesFigure(w, f)))));
  } catch (error) {
    failed = true;
    progress(`${bench.name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
for (const f of figures) process.stdout.write(`${JSON.stringify(f)}\n`);
process.exit(failed ? 1 : 0);
