/**
 * Charging one forwarded request: its tokens (as the upstream counted them, else estimated:
 * `tokens.ts`), its cost from the price table, one usage record, the metrics, and the
 * settlement of its token buckets against what it used. A usage store that fails is logged
 * (rate-limited), never thrown at the client, who has its reply already.
 */
import type { Clock } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import { RateLimitedLog, type Logger } from '../../lib/log.js';
import type { VirtualKey } from './keys.js';
import { settlement, type Bucket, type RateLimiter } from './limiter.js';
import type { ProxyMetrics } from './metrics.js';
import type { PriceTable } from './pricing.js';
import type { Usage } from './tokens.js';
import type { UsageSink } from './usage-sink.js';

/** What the proxy knows of a request before forwarding it. */
export interface ExchangeFacts {
  id: string;
  /** Arrival, ms since the epoch (the injected clock). */
  at: number;
  /** `performance.now()` at arrival, for the latency. */
  started: number;
  key: VirtualKey;
  node: string;
  task: string | null;
  model: string;
  stream: boolean;
  /** The prompt's estimate (`tokens.ts`), charged when the upstream reports no usage. */
  promptEstimate: number;
  /** The buckets taken and the tokens they were taken for. */
  buckets: Bucket[];
  reservedTokens: number;
}

/** How the exchange ended. */
export interface ExchangeOutcome {
  /** The status the client got. */
  status: number;
  /** As reported by the upstream; absent when it never came. */
  usage?: Usage | undefined;
  /** Estimated tokens of the text delivered to the client (the completion when usage is absent). */
  deliveredTokens: number;
  /** False when the upstream did not begin a reply (an error status): no estimated prompt then. */
  replied: boolean;
}

export interface AccountantDeps {
  sink: UsageSink;
  prices: PriceTable;
  limiter: RateLimiter;
  metrics: ProxyMetrics;
  clock: Clock;
  logger: Logger;
}

export class Accountant {
  readonly #log: RateLimitedLog;

  constructor(private readonly deps: AccountantDeps) {
    this.#log = new RateLimitedLog(deps.logger, deps.clock);
  }

  /** Charges an exchange; resolves once its record is stored (or failed to be), never rejects. */
  async charge(facts: ExchangeFacts, outcome: ExchangeOutcome): Promise<void> {
    try {
      await this.#charge(facts, outcome);
    } catch (error) {
      this.#failed('charge', error);
    }
  }

  async #charge(facts: ExchangeFacts, outcome: ExchangeOutcome): Promise<void> {
    const { sink, prices, limiter, metrics } = this.deps;
    const promptTokens = outcome.usage?.promptTokens ?? (outcome.replied ? facts.promptEstimate : 0);
    const completionTokens = outcome.usage?.completionTokens ?? outcome.deliveredTokens;
    const costUsd = prices.costOf(facts.model, promptTokens, completionTokens);
    if (prices.priceOf(facts.model) === undefined)
      this.#log.warn(
        `price:${facts.model}`,
        { model: facts.model },
        'no price for this model: charged 0 (set BZZZ_PROXY_PRICES_FILE)',
      );
    const latencyMs = performance.now() - facts.started;
    metrics.request(facts.key.name, facts.model, outcome.status);
    metrics.charged(facts.key.name, facts.model, {
      prompt: promptTokens,
      completion: completionTokens,
      usd: costUsd,
      seconds: latencyMs / 1000,
    });
    const settle = settlement(facts.buckets, promptTokens + completionTokens - facts.reservedTokens);
    await Promise.all([
      limiter.settle(settle).catch((error: unknown) => this.#failed('settle', error)),
      sink
        .record({
          id: facts.id,
          at: facts.at,
          key: facts.key.name,
          node: facts.node,
          task: facts.task,
          model: facts.model,
          promptTokens,
          completionTokens,
          costUsd,
          status: outcome.status,
          latencyMs,
          stream: facts.stream,
        })
        .catch((error: unknown) => this.#failed('record', error)),
    ]);
  }

  #failed(what: string, error: unknown): void {
    this.#log.warn(
      `usage_${what}`,
      { err: describeError(error) },
      `proxy: could not ${what} a request's usage`,
    );
  }
}
