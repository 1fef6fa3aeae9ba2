// The layer rules of docs/ARCHITECTURE.md, checked over every file in src/ (issue 11).
import { describe, expect, it } from 'vitest';
import { buildGraph, checkLayers, checkPorts, exampleCycle, findCycles } from './imports.js';
import { readSources } from './sources.js';

const graph = buildGraph(readSources());

describe('the layers of src/', () => {
  it('reads every file in src/', () => {
    expect(graph.files.size).toBeGreaterThan(100);
    expect(graph.files.has('src/adapters/forge/index.ts')).toBe(true);
  });

  it('machines, protocol and adapters import only what their layer allows', () => {
    expect(checkLayers(graph).join('\n')).toBe('');
  });

  it("nobody outside a port's folder imports its implementation files, only its index.ts", () => {
    expect(checkPorts(graph).join('\n')).toBe('');
  });

  it('no file imports in a cycle (type imports included)', () => {
    const cycles = findCycles(graph).map(
      (component) => `${component.join(', ')}\n    e.g. ${exampleCycle(graph, component)}`,
    );
    expect(cycles.join('\n')).toBe('');
  });
});
