/**
 * The open Streamable HTTP sessions: each one a transport and its own MCP server, made for the
 * access its client initialized with. At most `max` at once (a new one beyond is refused, never
 * an older one pushed out); a session with no request in flight and no open stream for
 * `idleMs` is closed, and so is every session when the server stops.
 */
import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Clock, TimerHandle } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { SessionServer } from './server.js';
import type { Subscriptions } from './subscriptions.js';
import type { Access } from './types.js';

export interface Session {
  readonly id: string;
  readonly access: Access;
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  lastSeen: number;
  /** Requests of this session in flight (an open GET stream counts until it closes). */
  inFlight: number;
}

export interface SessionTableOptions {
  max: number;
  idleMs: number;
  clock: Clock;
  logger: Logger;
  subscriptions: Subscriptions;
}

export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  readonly #options: SessionTableOptions;
  /** Sessions being initialized: they count against `max` already. */
  #pending = 0;
  #sweeper: TimerHandle | undefined;
  #closed = false;

  constructor(options: SessionTableOptions) {
    this.#options = options;
    this.#scheduleSweep();
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Whether one more session may open (idle ones are closed first). */
  hasRoom(): boolean {
    this.#sweep();
    return !this.#closed && this.#sessions.size + this.#pending < this.#options.max;
  }

  /**
   * A transport whose session joins the table once initialized, with its server connected;
   * call `settled` when the initializing request is over (a failed initialization closes it).
   */
  async open(
    access: Access,
    made: SessionServer,
  ): Promise<{ transport: StreamableHTTPServerTransport; settled: () => void }> {
    this.#pending++;
    const { clock, subscriptions } = this.#options;
    let session: Session | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // answers come as JSON; notifications go on the session's GET stream
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        session = { id, access, transport, server: made.server, lastSeen: clock.now(), inFlight: 0 };
        this.#sessions.set(id, session);
        this.#options.logger.debug({ session: id, access }, 'MCP session opened');
      },
    });
    transport.onclose = () => {
      subscriptions.close(made.subscriber);
      if (session !== undefined && this.#sessions.get(session.id) === session) {
        this.#sessions.delete(session.id);
        this.#options.logger.debug({ session: session.id }, 'MCP session closed');
      }
    };
    await made.server.connect(transport);
    let settled = false;
    return {
      transport,
      settled: () => {
        if (settled) return;
        settled = true;
        this.#pending--;
        if (session === undefined) void this.#close(made.server);
      },
    };
  }

  /** Marks a request of `session` begun; the returned function marks it over. */
  begin(session: Session): () => void {
    session.inFlight++;
    session.lastSeen = this.#options.clock.now();
    let over = false;
    return () => {
      if (over) return;
      over = true;
      session.inFlight--;
      session.lastSeen = this.#options.clock.now();
    };
  }

  /** Closes every session; no new one opens. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper !== undefined) this.#options.clock.clearTimeout(this.#sweeper);
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map((s) => this.#close(s.server)));
  }

  #sweep(): void {
    const now = this.#options.clock.now();
    for (const session of [...this.#sessions.values()]) {
      if (session.inFlight > 0 || now - session.lastSeen < this.#options.idleMs) continue;
      this.#sessions.delete(session.id);
      this.#options.logger.info(
        { session: session.id, idleMs: now - session.lastSeen },
        'MCP session idle: closed',
      );
      void this.#close(session.server);
    }
  }

  #scheduleSweep(): void {
    const every = Math.max(50, Math.min(60_000, Math.floor(this.#options.idleMs / 2)));
    this.#sweeper = this.#options.clock.setTimeout(() => {
      if (this.#closed) return;
      this.#sweep();
      this.#scheduleSweep();
    }, every);
  }

  async #close(server: McpServer): Promise<void> {
    try {
      await server.close();
    } catch (error) {
      this.#options.logger.debug({ err: describeError(error) }, 'MCP: closing a session failed');
    }
  }
}
