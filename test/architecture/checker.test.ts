// The checker itself, on a small in-memory tree: it must report what the layer test relies on.
import { describe, expect, it } from 'vitest';
import {
  buildGraph,
  checkLayers,
  checkPorts,
  checkSizes,
  exampleCycle,
  findCycles,
  readImports,
  resolveSpecifier,
} from './imports.js';

const fixture = new Map<string, string>([
  ['src/protocol/fields.ts', "import { z } from 'zod';\nexport const id = z.string();\n"],
  [
    'src/protocol/bad.ts',
    "import { clock } from '../lib/clock.js';\nimport type { X } from '../actors/x.js';\n",
  ],
  ['src/lib/clock.ts', 'export const clock = 1;\n'],
  ['src/actors/x.ts', "export type X = number;\nimport { forge } from '../adapters/forge/index.js';\n"],
  ['src/machines/task.ts', "import { setup } from 'xstate';\nimport { id } from '../protocol/fields.js';\n"],
  ['src/machines/leaky.ts', "import pino from 'pino';\nexport const l = () => import('../lib/clock.js');\n"],
  // a port whose index.ts exports a factory importing an implementation that imports index.ts back
  ['src/adapters/forge/index.ts', "export * from './types.js';\nexport { local } from './local.js';\n"],
  ['src/adapters/forge/types.ts', 'export interface Forge { readonly name: string }\n'],
  [
    'src/adapters/forge/local.ts',
    "import type { Forge } from './index.js';\nexport const local = {} as Forge;\n",
  ],
  ['src/adapters/forge/names.ts', "import type { T } from '../../machines/task.js';\n"],
  ['src/adapters/p2p/node.ts', "import { createLibp2p } from 'libp2p';\nimport '@libp2p/tcp';\n"],
  ['src/node/mesh.ts', "import type { GossipSub } from '@libp2p/gossipsub';\nimport 'libp2p-ish';\n"],
  [
    'src/node/seed.ts',
    "import { git } from '../adapters/forge/git.js';\nexport { forge } from '../adapters/forge';\n",
  ],
]);

describe('the import checker', () => {
  it('reads import, import type, export from, dynamic import and import() types', () => {
    const text = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "const e = await import('./e.js');",
      "let f: import('./f.js').F;",
    ].join('\n');
    expect(readImports('x.ts', text).map((r) => `${r.line} ${r.kind} ${r.specifier}`)).toEqual([
      '1 import ./a.js',
      '2 import type ./b.js',
      '3 export from ./c.js',
      '4 export from ./d.js',
      '5 dynamic import ./e.js',
      '6 import() ./f.js',
    ]);
  });

  it('resolves .js to .ts and a folder to its index.ts', () => {
    const has = (p: string): boolean => fixture.has(p);
    expect(resolveSpecifier('src/node/seed.ts', '../adapters/forge', has)).toBe(
      'src/adapters/forge/index.ts',
    );
    expect(resolveSpecifier('src/node/seed.ts', '../lib/clock.js', has)).toBe('src/lib/clock.ts');
    expect(resolveSpecifier('src/node/seed.ts', 'zod', has)).toBeUndefined();
  });

  it('reports a forbidden import, naming file, line and import', () => {
    expect(checkLayers(buildGraph(fixture))).toEqual([
      "src/adapters/forge/names.ts:1 import type '../../machines/task.js': src/adapters never imports actors, supervisor, node or machines",
      "src/machines/leaky.ts:1 import 'pino': src/machines imports only xstate and src/protocol",
      "src/machines/leaky.ts:2 dynamic import '../lib/clock.js': src/machines imports only xstate and src/protocol",
      "src/node/mesh.ts:1 import type '@libp2p/gossipsub': libp2p is imported only in src/adapters/p2p",
      "src/protocol/bad.ts:2 import type '../actors/x.js': src/protocol imports only itself, src/lib and npm packages",
    ]);
  });

  it("reports an import of a port's implementation file from outside the port", () => {
    expect(checkPorts(buildGraph(fixture))).toEqual([
      "src/node/seed.ts:1 import '../adapters/forge/git.js': outside src/adapters/forge/ import only src/adapters/forge/index.ts",
    ]);
  });

  it('reports each cycle once, type imports included', () => {
    const graph = buildGraph(fixture);
    const cycles = findCycles(graph);
    expect(cycles).toEqual([['src/adapters/forge/index.ts', 'src/adapters/forge/local.ts']]);
    expect(exampleCycle(graph, cycles[0]!)).toBe(
      'src/adapters/forge/index.ts → src/adapters/forge/local.ts → src/adapters/forge/index.ts',
    );
    const fixed = new Map(fixture).set(
      'src/adapters/forge/local.ts',
      "import type { Forge } from './types.js';\nexport const local = {} as Forge;\n",
    );
    expect(findCycles(buildGraph(fixed))).toEqual([]);
  });

  it('reports a long file unless it only declares types, and a long function', () => {
    const body = Array.from({ length: 85 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const long = `export function work(): void {\n${body}\n}\n`;
    expect(checkSizes('src/a.ts', long)).toEqual(['src/a.ts:1 work: 87 lines (at most 80)']);
    const arrow = `export const run = () => {\n${body}\n};\n`;
    expect(checkSizes('src/b.ts', arrow)).toEqual(['src/b.ts:1 run: 87 lines (at most 80)']);
    const types = Array.from({ length: 310 }, (_, i) => `export type T${i} = ${i};`).join('\n') + '\n';
    expect(checkSizes('src/types.ts', types)).toEqual([]);
    const values = Array.from({ length: 310 }, (_, i) => `export const c${i} = ${i};`).join('\n') + '\n';
    expect(checkSizes('src/values.ts', values)).toEqual([
      'src/values.ts: 310 lines (at most 300 unless it holds only type declarations)',
    ]);
  });
});
