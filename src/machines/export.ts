/**
 * Exports a machine for visualisation: its JSON definition (what the Stately tools read) and
 * a mermaid `stateDiagram-v2`, with XState's internal event names (`xstate.done.actor...`)
 * shown as `done: <actor>` / `error: <actor>` / `after <delay>`.
 */
import type { AnyStateMachine } from 'xstate';

type Target = string | { id: string };

interface TransitionDef {
  target?: Target[] | undefined;
  eventType: string | null;
  guard?: { type?: string } | undefined;
}

interface StateDef {
  id: string;
  key: string;
  type: string;
  initial?: { target: Target[] };
  states: Record<string, StateDef>;
  transitions: TransitionDef[];
  invoke: { src: unknown; id: string }[];
  tags: string[];
}

export function machineDefinition(machine: AnyStateMachine): unknown {
  return machine.root.definition;
}

/** A mermaid identifier for a state given by id (`#service.opening`) or by node. */
function mermaidId(target: Target): string {
  const id = typeof target === 'string' ? target.replace(/^#/, '') : target.id;
  return id.replace(/[^A-Za-z0-9_]/g, '_');
}

function eventLabel(event: string | null, invokes: Map<string, string>): string {
  if (event === null || event === '') return 'always';
  const done = /^xstate\.done\.actor\.(.+)$/.exec(event);
  if (done) return `done: ${invokes.get(done[1]!) ?? done[1]!}`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(event);
  if (error) return `error: ${invokes.get(error[1]!) ?? error[1]!}`;
  const after = /^xstate\.after\.(\d+)\./.exec(event);
  if (after) return `after ${after[1]!} ms`;
  if (event.startsWith('xstate.done.state.')) return 'done';
  return event;
}

function collectInvokes(state: StateDef, into: Map<string, string>): void {
  for (const inv of state.invoke) into.set(inv.id, typeof inv.src === 'string' ? inv.src : inv.id);
  for (const child of Object.values(state.states)) collectInvokes(child, into);
}

export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root.definition as unknown as StateDef;
  const invokes = new Map<string, string>();
  collectInvokes(root, invokes);
  const lines = ['stateDiagram-v2'];
  const walk = (state: StateDef, indent: string): void => {
    const initial = state.initial?.target[0];
    if (initial !== undefined) lines.push(`${indent}[*] --> ${mermaidId(initial)}`);
    for (const child of Object.values(state.states)) {
      const id = mermaidId(child.id);
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state "${child.key}" as ${id} {`);
        walk(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${child.key}" as ${id}`);
      }
      if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
    }
    for (const child of Object.values(state.states)) {
      for (const t of child.transitions) {
        const label = eventLabel(t.eventType, invokes) + (t.guard?.type ? ` [${t.guard.type}]` : '');
        const targets: Target[] = t.target !== undefined && t.target.length > 0 ? t.target : [child.id];
        for (const target of targets) {
          lines.push(`${indent}${mermaidId(child.id)} --> ${mermaidId(target)} : ${label}`);
        }
      }
    }
  };
  walk(root, '  ');
  for (const t of root.transitions) {
    for (const target of t.target ?? [])
      lines.push(`  note right of ${mermaidId(target)} : any state on ${eventLabel(t.eventType, invokes)}`);
  }
  return lines.join('\n');
}
