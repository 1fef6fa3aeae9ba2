/**
 * The proxy's Prometheus series, on its own `/metrics` (and on the node's when it runs in
 * one: it registers on the registry it is given). Every answered request is counted with the
 * status the client got; tokens and cost only for requests that reached the upstream. The
 * `model` label is the model the client asked for; past 200 distinct models, new ones count
 * as `(other)`, so a client inventing names cannot grow the series without bound.
 */
import { Counter, Histogram, Registry } from 'prom-client';

const MAX_MODELS = 200;
export const UNKNOWN = '(unknown)';

export class ProxyMetrics {
  readonly registry: Registry;
  readonly #requests: Counter<'key' | 'model' | 'status'>;
  readonly #tokens: Counter<'key' | 'model' | 'kind'>;
  readonly #cost: Counter<'key' | 'model'>;
  readonly #latency: Histogram<'key' | 'model'>;
  readonly #models = new Set<string>();

  constructor(registry?: Registry) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    // a restarted proxy on the node's registry finds its series there already
    const reuse = <T>(name: string, make: () => T): T =>
      (this.registry.getSingleMetric(name) as T | undefined) ?? make();
    this.#requests = reuse(
      'bzzz_llm_requests_total',
      () =>
        new Counter({
          name: 'bzzz_llm_requests_total',
          help: 'Requests answered by the OpenAI-compatible proxy, by virtual key, model and HTTP status',
          labelNames: ['key', 'model', 'status'],
          registers,
        }),
    );
    this.#tokens = reuse(
      'bzzz_llm_tokens_total',
      () =>
        new Counter({
          name: 'bzzz_llm_tokens_total',
          help: 'Tokens charged by the proxy, by virtual key, model and kind (prompt, completion)',
          labelNames: ['key', 'model', 'kind'],
          registers,
        }),
    );
    this.#cost = reuse(
      'bzzz_llm_cost_usd_total',
      () =>
        new Counter({
          name: 'bzzz_llm_cost_usd_total',
          help: 'USD charged by the proxy, by virtual key and model',
          labelNames: ['key', 'model'],
          registers,
        }),
    );
    this.#latency = reuse(
      'bzzz_llm_request_duration_seconds',
      () =>
        new Histogram({
          name: 'bzzz_llm_request_duration_seconds',
          help: 'Time from a request to the end of its reply (the last byte of a stream), through the proxy',
          labelNames: ['key', 'model'],
          buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
          registers,
        }),
    );
  }

  /** One answered request. */
  request(key: string, model: string, status: number): void {
    this.#requests.inc({ key, model: this.#model(model), status: String(status) });
  }

  /** What a forwarded request was charged, and how long it took. */
  charged(
    key: string,
    model: string,
    usage: { prompt: number; completion: number; usd: number; seconds: number },
  ): void {
    const m = this.#model(model);
    this.#tokens.inc({ key, model: m, kind: 'prompt' }, usage.prompt);
    this.#tokens.inc({ key, model: m, kind: 'completion' }, usage.completion);
    this.#cost.inc({ key, model: m }, usage.usd);
    this.#latency.observe({ key, model: m }, usage.seconds);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #model(model: string): string {
    if (this.#models.has(model)) return model;
    if (this.#models.size >= MAX_MODELS) return '(other)';
    this.#models.add(model);
    return model;
  }
}
