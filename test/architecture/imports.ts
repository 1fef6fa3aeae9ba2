// The house rules of src/ (issue 11) as data, and the checker that applies them to a set of
// source texts. Pure: it reads no disk, so the unit test feeds it an in-memory fixture and the
// layer test feeds it src/. docs/ARCHITECTURE.md's layer table says the same as LAYER_RULES.
import { posix } from 'node:path';
import ts from 'typescript';

/** One import of a file: where it points, and how it was written. */
export interface ImportRef {
  readonly specifier: string;
  readonly line: number;
  readonly kind: 'import' | 'import type' | 'export from' | 'dynamic import' | 'import()';
}

/** A folder of src/ and what its files may import (paths are repo-relative, ending in '/'). */
export interface LayerRule {
  readonly name: string;
  readonly files: string;
  /** When set, a file may import only these folders and these npm packages (`'*'`: any). */
  readonly allow?: { readonly folders: readonly string[]; readonly packages: readonly string[] | '*' };
  /** Folders a file must never import. */
  readonly forbid?: readonly string[];
  /** npm packages a file must never import (`'@scope/*'`: every package of a scope). */
  readonly forbidPackages?: readonly string[];
  /** Folders under `files` the rule does not apply to. */
  readonly except?: readonly string[];
}

export const LAYER_RULES: readonly LayerRule[] = [
  {
    name: 'src/machines imports only xstate and src/protocol',
    files: 'src/machines/',
    allow: { folders: ['src/machines/', 'src/protocol/'], packages: ['xstate'] },
  },
  {
    name: 'src/protocol imports only itself, src/lib and npm packages',
    files: 'src/protocol/',
    allow: { folders: ['src/protocol/', 'src/lib/'], packages: '*' },
  },
  {
    name: 'src/adapters never imports actors, supervisor, node or machines',
    files: 'src/adapters/',
    forbid: ['src/actors/', 'src/supervisor/', 'src/node/', 'src/machines/'],
  },
  {
    name: 'libp2p is imported only in src/adapters/p2p',
    files: 'src/',
    except: ['src/adapters/p2p/'],
    forbidPackages: ['libp2p', '@libp2p/*', '@chainsafe/*', '@multiformats/*'],
  },
];

/** A port's folder: outside it, only its index.ts may be imported. */
export const PORTS_ROOT = 'src/adapters/';

export const MAX_FILE_LINES = 300;
export const MAX_FUNCTION_LINES = 80;

/** Every module reference in one file, `import type`, re-exports and `import()` included. */
export function readImports(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const refs: ImportRef[] = [];
  const add = (literal: ts.Node, kind: ImportRef['kind']): void => {
    if (!ts.isStringLiteralLike(literal)) return;
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
    refs.push({ specifier: literal.text, line, kind });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(
        node.moduleSpecifier,
        node.importClause?.phaseModifier === ts.SyntaxKind.TypeKeyword ? 'import type' : 'import',
      );
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, 'export from');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, 'import');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      if (node.arguments[0]) add(node.arguments[0], 'dynamic import');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, 'import()');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

/** The file a relative specifier names (`.js` → `.ts`, a folder → its index.ts), or undefined. */
export function resolveSpecifier(
  from: string,
  specifier: string,
  exists: (path: string) => boolean,
): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const stem = base.replace(/\.(js|ts|mjs|mts)$/, '');
  const candidates = [`${stem}.ts`, `${stem}.mts`, base, `${base}/index.ts`];
  return candidates.find(exists) ?? `${stem}.ts`;
}

/** `@scope/name/sub` → `@scope/name`; `node:fs/promises` → `node:fs/promises`. */
function packageName(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** True when `specifier` names package `name`, or a package of scope `name` (`'@scope/*'`). */
function packageMatches(name: string, specifier: string): boolean {
  if (specifier.startsWith('.')) return false;
  const pkg = packageName(specifier);
  return name.endsWith('/*') ? pkg.startsWith(name.slice(0, -1)) : pkg === name;
}

/** The port folder a path lies in (`src/adapters/forge/`), if any. */
function portOf(path: string): string | undefined {
  if (!path.startsWith(PORTS_ROOT)) return undefined;
  const port = path.slice(PORTS_ROOT.length).split('/')[0];
  return port && path.slice(PORTS_ROOT.length).includes('/') ? `${PORTS_ROOT}${port}/` : undefined;
}

/** A resolved import graph over a set of files, keyed by repo-relative path. */
export interface ImportGraph {
  readonly files: ReadonlyMap<string, readonly (ImportRef & { readonly target?: string })[]>;
}

export function buildGraph(sources: ReadonlyMap<string, string>): ImportGraph {
  const exists = (path: string): boolean => sources.has(path);
  const files = new Map<string, (ImportRef & { target?: string })[]>();
  for (const [path, text] of sources) {
    files.set(
      path,
      readImports(path, text).map((ref) => {
        const target = resolveSpecifier(path, ref.specifier, exists);
        return target === undefined ? ref : { ...ref, target };
      }),
    );
  }
  return { files };
}

function describe(path: string, ref: ImportRef): string {
  return `${path}:${ref.line} ${ref.kind} '${ref.specifier}'`;
}

/** Violations of LAYER_RULES (one line each: file, line, import, rule). */
export function checkLayers(graph: ImportGraph, rules: readonly LayerRule[] = LAYER_RULES): string[] {
  const out: string[] = [];
  for (const [path, refs] of graph.files) {
    const applies = (r: LayerRule): boolean =>
      path.startsWith(r.files) && !(r.except ?? []).some((folder) => path.startsWith(folder));
    for (const rule of rules.filter(applies)) {
      for (const ref of refs) {
        if (!allowed(rule, ref)) out.push(`${describe(path, ref)}: ${rule.name}`);
      }
    }
  }
  return out.sort();
}

function allowed(rule: LayerRule, ref: ImportRef & { readonly target?: string }): boolean {
  const target = ref.target;
  if (target !== undefined && rule.forbid?.some((folder) => target.startsWith(folder))) return false;
  if (target === undefined && rule.forbidPackages?.some((name) => packageMatches(name, ref.specifier)))
    return false;
  if (!rule.allow) return true;
  if (target !== undefined) return rule.allow.folders.some((folder) => target.startsWith(folder));
  const packages = rule.allow.packages;
  return packages === '*' || packages.includes(packageName(ref.specifier));
}

/** Imports of a port's implementation files from outside that port's folder. */
export function checkPorts(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [path, refs] of graph.files) {
    for (const ref of refs) {
      const port = ref.target === undefined ? undefined : portOf(ref.target);
      if (port === undefined || path.startsWith(port) || ref.target === `${port}index.ts`) continue;
      out.push(`${describe(path, ref)}: outside ${port} import only ${port}index.ts`);
    }
  }
  return out.sort();
}

/** Every strongly connected component of the import graph (type imports included). */
export function findCycles(graph: ImportGraph): string[][] {
  const edges = new Map<string, string[]>();
  for (const [path, refs] of graph.files) {
    const targets = refs
      .map((r) => r.target)
      .filter((t): t is string => t !== undefined && graph.files.has(t));
    edges.set(path, [...new Set(targets)]);
  }
  // Tarjan, iterative so a deep chain of imports cannot overflow the stack.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  for (const root of [...edges.keys()].sort()) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = edges.get(frame.node)!;
      if (frame.next < targets.length) {
        const target = targets[frame.next++]!;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      const selfLoop = component.length === 1 && targets.includes(frame.node);
      if (component.length > 1 || selfLoop) components.push(component.sort());
    }
  }
  return components.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One cycle of a component, shortest from its first member: `a → b → a`. */
export function exampleCycle(graph: ImportGraph, component: readonly string[]): string {
  const members = new Set(component);
  const start = component[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const ref of graph.files.get(node) ?? []) {
      const target = ref.target;
      if (target === undefined || !members.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start].join(' → ');
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return component.join(', ');
}

/** Violations of the size rules in one file: file length (type-only files aside) and function length. */
export function checkSizes(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  if (lines > MAX_FILE_LINES && !source.statements.every(isTypeDeclaration)) {
    out.push(`${path}: ${lines} lines (at most ${MAX_FILE_LINES} unless it holds only type declarations)`);
  }
  const lineOf = (pos: number): number => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node)) {
      const first = lineOf(node.getStart(source));
      const length = lineOf(node.getEnd()) - first + 1;
      if (length > MAX_FUNCTION_LINES) {
        out.push(`${path}:${first} ${functionName(node)}: ${length} lines (at most ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function isTypeDeclaration(statement: ts.Statement): boolean {
  if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) return true;
  if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) return true;
  const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
  return modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword) ?? false;
}

function isFunctionLike(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isConstructorDeclaration(node)
  );
}

function functionName(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && ts.isIdentifier(parent.name)) {
    return parent.name.text;
  }
  return ts.isArrowFunction(node) ? '(arrow function)' : '(function expression)';
}
