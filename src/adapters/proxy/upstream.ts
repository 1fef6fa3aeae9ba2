/**
 * The one place the upstream key is used: requests to the upstream OpenAI-compatible server
 * (`BZZZ_PROXY_UPSTREAM_URL`, up to and including `/v1`) carry it as their bearer token, and
 * nothing the client sent besides the body (its virtual key least of all). Each exchange is
 * bounded by a timeout on the injected clock, and aborted when the client goes away. A
 * redirect is refused, not followed: it would take the key to another address.
 *
 * On `node:http` with a keep-alive agent rather than `fetch`: measured on loopback, a `fetch`
 * call cost four times the CPU of the same request through `http.request` (the proxy's
 * overhead is mostly this call, see `proxy.overhead`).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Clock } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import { UpstreamError } from './errors.js';
import type { Redactor } from './redact.js';

export interface UpstreamInit {
  url: string;
  key?: string | undefined;
  /** One exchange, first byte to last (default 600 s: long streams are normal). */
  timeoutMs?: number | undefined;
}

/** The abort signal of one exchange: the client's, and the timeout. */
export interface ExchangeScope {
  readonly signal: AbortSignal;
  timedOut(): boolean;
  dispose(): void;
}

/** What the upstream answered: its status, content type and body (a Node stream). */
export interface UpstreamReply {
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  body: IncomingMessage;
}

export class Upstream {
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;

  constructor(
    init: UpstreamInit,
    private readonly clock: Clock,
    private readonly redact: Redactor,
  ) {
    this.#url = new URL(init.url);
    this.#url.pathname = this.#url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = init.timeoutMs ?? 600_000;
    this.#headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (init.key !== undefined) this.#headers.authorization = `Bearer ${init.key}`;
    const secure = this.#url.protocol === 'https:';
    this.#agent = new (secure ? https : http).Agent({ keepAlive: true, maxSockets: 512 });
    this.#request = secure ? https.request : http.request;
  }

  /** A scope for one exchange, aborted by `client` or by the timeout. */
  scope(client: AbortSignal | undefined): ExchangeScope {
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`upstream took longer than ${this.#timeoutMs} ms`));
    }, this.#timeoutMs);
    const onClient = () => controller.abort(client?.reason);
    client?.addEventListener('abort', onClient, { once: true });
    return {
      signal: controller.signal,
      timedOut: () => timedOut,
      dispose: () => {
        this.clock.clearTimeout(timer);
        client?.removeEventListener('abort', onClient);
      },
    };
  }

  /** `POST /chat/completions` with `body` as it is. */
  chat(body: string, scope: ExchangeScope): Promise<UpstreamReply> {
    return this.#exchange('/chat/completions', 'POST', body, scope);
  }

  /** `GET /models`. */
  models(scope: ExchangeScope): Promise<UpstreamReply> {
    return this.#exchange('/models', 'GET', undefined, scope);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  async #exchange(
    path: string,
    method: string,
    body: string | undefined,
    scope: ExchangeScope,
  ): Promise<UpstreamReply> {
    let response: IncomingMessage;
    try {
      response = await this.#send(path, method, body, scope.signal);
    } catch (error) {
      if (scope.timedOut())
        throw new UpstreamError('upstream_timeout', `the upstream did not answer in ${this.#timeoutMs} ms`);
      throw new UpstreamError(
        'upstream_unreachable',
        `the upstream ${this.#url.host} is unreachable: ${this.redact(describeError(error))}`,
      );
    }
    const status = response.statusCode ?? 502;
    if (status >= 300 && status < 400) {
      response.destroy();
      throw new UpstreamError(
        'upstream_invalid_reply',
        `the upstream answered with a redirect (HTTP ${status})`,
      );
    }
    const retryAfter = response.headers['retry-after'];
    return { status, contentType: response.headers['content-type'] ?? '', retryAfter, body: response };
  }

  #send(
    path: string,
    method: string,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    const headers: Record<string, string | number> = { ...this.#headers };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    return new Promise((resolve, reject) => {
      const request = this.#request(
        {
          protocol: this.#url.protocol,
          hostname: this.#url.hostname.replace(/^\[|\]$/g, ''),
          port: this.#url.port,
          path: `${this.#url.pathname}${path}`,
          method,
          headers,
          agent: this.#agent,
          signal,
        },
        resolve,
      );
      // after the response, its body reports the failure: this one is for the request alone
      request.on('error', reject);
      request.end(body === undefined ? undefined : Buffer.from(body));
    });
  }
}
