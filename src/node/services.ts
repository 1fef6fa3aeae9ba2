/**
 * The node's services in front of the cluster (SPEC §14) that read what the pipeline stores:
 * the bzzz:// resolver and the MCP server, connected to each other and to the task threads.
 * The MCP server resolves addresses and reads bzzz:// resources through the resolver (so a
 * resource read is a resolution plus a verified blob read, from a replica when this node lacks
 * it); a person's answer to a help request joins the task's thread on this node.
 */
import type { BlobFetcher, TaskNameIndex } from '../adapters/names/index.js';
import { NotFoundError, type Resolver } from '../adapters/resolver/index.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { ChildSpec } from '../supervisor/child.js';
import { mcpSpec, type McpHooks, type McpOptions } from './mcp.js';
import type { NodeMetrics } from './metrics.js';
import type { Pipeline } from './pipeline.js';
import { proxySpec } from './proxy.js';
import { resolverService } from './resolver.js';
import type { NodeContext } from './types.js';

/** Largest resource the MCP server hands a client as text. */
const MAX_RESOURCE_BYTES = 4 * 1024 * 1024;

export interface ServicesInit {
  config: Config;
  nodeId: string;
  pipeline: Pipeline;
  names?: TaskNameIndex | undefined;
  fetcher?: BlobFetcher | undefined;
  mcp?: McpOptions;
}

/** The resolver (before the cluster's work children) and the MCP server (after them). */
export function serviceChildren(
  init: ServicesInit,
  context: Pick<NodeContext, 'status'>,
  components: { logger: Logger; clock: Clock; metrics: NodeMetrics },
): { first: ChildSpec[]; last: ChildSpec[] } {
  const { config, pipeline } = init;
  const resolver = resolverService(
    { config, store: pipeline.contentStore, names: init.names, fetcher: init.fetcher },
    components,
  );
  const { onListening, stdio, ...given } = init.mcp ?? {};
  const hooks: McpHooks = {
    resolve: (address) => resolver.resolver.resolve(address),
    readName: (uri) => readName(resolver.resolver, uri),
    onAnswer: async (task, request, answer) => {
      await pipeline.threads
        .append(
          task,
          'help_response',
          { answer: answer.answer, request },
          { node: init.nodeId, agent: answer.agent },
        )
        .catch((error: unknown) =>
          components.logger.warn(
            { task, err: describeError(error) },
            'could not add an answer to the thread',
          ),
        );
    },
    ...given,
  };
  const mcp = mcpSpec({
    config,
    nodeId: init.nodeId,
    forge: pipeline.forge,
    claims: pipeline.claims,
    view: pipeline.view,
    status: () => context.status(),
    hooks,
    ...(onListening === undefined ? {} : { onListening }),
    ...(stdio === undefined ? {} : { stdio }),
  });
  return { first: [resolver.spec], last: [mcp] };
}

/** The OpenAI-compatible proxy, when it has an upstream (its series join the node's metrics). */
export function proxyChildren(config: Config, components: Parameters<typeof proxySpec>[1]): ChildSpec[] {
  return config.proxy_upstream_url === undefined ? [] : [proxySpec(config, components)];
}

/** A bzzz:// resource's text: the newest blob its name resolves to; undefined when none. */
async function readName(
  resolver: Resolver,
  uri: string,
): Promise<{ mimeType: string; text: string } | undefined> {
  let hash: string | undefined;
  try {
    hash = (await resolver.resolve(uri)).hash;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  if (hash === undefined) return undefined;
  const blob = await resolver.locateBlob(hash);
  if (blob.size > MAX_RESOURCE_BYTES) {
    return {
      mimeType: 'text/plain',
      text: `(${blob.size} bytes: fetch bzzz://blob/${hash} from the resolver)`,
    };
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of await resolver.openBlob(blob)) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  const mimeType = /^\s*[[{]/.test(text)
    ? 'application/json'
    : uri.endsWith('/diff')
      ? 'text/x-diff'
      : 'text/plain';
  return { mimeType, text };
}
