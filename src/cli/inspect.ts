/**
 * `--inspect`: streams XState inspection events of every actor to a WebSocket, so the
 * running tree can be watched in the Stately inspector. Without a URL, a local bridge
 * server is started (open its page in a browser to see the inspector).
 */
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { setInspector } from '../actors/xstate-child.js';
import type { Logger } from '../lib/log.js';

export interface InspectSession {
  url: string;
  stop(): void;
}

/** `target`: a ws:// URL to send to, or a port for a local bridge (default 8080). */
export function startInspection(target: string, logger: Logger): InspectSession {
  let url = target;
  let server: { stop(): void } | undefined;
  if (/^\d+$/.test(target)) {
    const port = Number(target);
    server = createInspectorServer({ port, autoOpen: false });
    url = `ws://127.0.0.1:${port}`;
    logger.info(
      { page: `http://127.0.0.1:${port}`, ws: url },
      'inspector bridge started: open the page to watch the actors',
    );
  }
  const inspector = createWebSocketInspector({ url });
  setInspector((event) => inspector.inspect.next?.(event));
  return {
    url,
    stop: () => {
      setInspector(undefined);
      inspector.stop();
      server?.stop();
    },
  };
}
