/**
 * Prices per model in USD per million tokens, prompt (`input`) and completion (`output`): a
 * built-in table of common models that the operator's file (`BZZZ_PROXY_PRICES_FILE`, YAML or
 * JSON: `{"my-model": {"input": 0.5, "output": 1.5}, "*": {...}}`) extends and overrides. A
 * model is priced by its exact name, else without a `provider/` prefix, else by the longest
 * name it starts with followed by `-` (`gpt-4o-2024-08-06` is `gpt-4o`), else by `*`; a model
 * none of these match costs 0 and is logged.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeError } from '../../lib/errors.js';
import { ProxyConfigError } from './errors.js';

export interface ModelPrice {
  /** USD per million prompt tokens. */
  input: number;
  /** USD per million completion tokens. */
  output: number;
}

/** List prices of common models (USD per million tokens); override them with the prices file. */
export const BUILTIN_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  o3: { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'deepseek-chat': { input: 0.27, output: 1.1 },
  'deepseek-reasoner': { input: 0.55, output: 2.19 },
};

const price = z.strictObject({
  input: z.number().nonnegative().max(1_000_000),
  output: z.number().nonnegative().max(1_000_000),
});
const pricesFileSchema = z.record(z.string().min(1).max(200), price);

export class PriceTable {
  readonly #prices: Map<string, ModelPrice>;
  /** Names longest first, for prefix matching. */
  readonly #names: string[];

  constructor(overrides: Readonly<Record<string, ModelPrice>> = {}) {
    this.#prices = new Map(Object.entries({ ...BUILTIN_PRICES, ...overrides }));
    this.#names = [...this.#prices.keys()].filter((n) => n !== '*').sort((a, b) => b.length - a.length);
  }

  /** The price of a model, or undefined when nothing matches it. */
  priceOf(model: string): ModelPrice | undefined {
    const exact = this.#prices.get(model);
    if (exact !== undefined) return exact;
    const bare = model.slice(model.lastIndexOf('/') + 1);
    const unprefixed = this.#prices.get(bare);
    if (unprefixed !== undefined) return unprefixed;
    const prefix = this.#names.find((n) => bare.startsWith(`${n}-`));
    return prefix === undefined ? this.#prices.get('*') : this.#prices.get(prefix);
  }

  /** USD for the tokens of one request; 0 for a model without a price. */
  costOf(model: string, promptTokens: number, completionTokens: number): number {
    const p = this.priceOf(model);
    if (p === undefined) return 0;
    return (promptTokens * p.input + completionTokens * p.output) / 1_000_000;
  }
}

/** The built-in table with the operator's file over it (none: the built-in table alone). */
export async function loadPriceTable(file: string | undefined): Promise<PriceTable> {
  if (file === undefined) return new PriceTable();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ProxyConfigError(file, `cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new ProxyConfigError(file, `not valid YAML or JSON: ${describeError(error).split('\n')[0]}`);
  }
  const parsed = pricesFileSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProxyConfigError(file, `${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  return new PriceTable(parsed.data);
}
