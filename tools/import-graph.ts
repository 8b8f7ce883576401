// The project's import graph and the layering rule it must keep (docs/architecture.md). Parsed with
// oxc (a TypeScript parser that needs no `typescript` package: the project compiles with the native
// TypeScript 7, which has no JavaScript API). Type-only and dynamic imports count like the others:
// a loop through types is still a loop in the design.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseSync } from 'oxc-parser';

/** Top-level folders that hold no project source. */
const NOT_SOURCE = new Set(['node_modules', 'cdk.out', 'dist', 'events', 'programme', 'docs', 'test-artifacts']);

/** Every top-level folder with TypeScript in it: a new folder is covered without touching this file. */
export function sourceRoots(repoRoot: string): string[] {
  return readdirSync(repoRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !NOT_SOURCE.has(d.name))
    .map((d) => d.name)
    .sort();
}

export interface ImportEdge {
  from: string; // repo-relative file
  specifier: string; // as written
  to: string | null; // repo-relative file for a relative import, null for a package
  line: number;
}

export interface LayerRule {
  layer: string; // a top-level folder
  /** Folders it may import from besides itself; when set, every other folder is forbidden. */
  onlyFolders?: string[];
  forbiddenFolders: string[];
  forbiddenPackages: RegExp[];
  why: string;
}

/** What may import what. Adding a folder? Give it a rule here and a line in docs/architecture.md. */
export const LAYER_RULES: LayerRule[] = [
  {
    layer: 'shared',
    onlyFolders: ['programme'], // the default programme file (data)
    forbiddenFolders: [],
    forbiddenPackages: [/^@aws-sdk\//, /^aws-lambda$/, /^@aws-lambda-powertools\//, /^@types\/aws-lambda$/],
    why: 'the domain core is pure: it imports only shared/ (no AWS, adapters, handlers, infra, simulator or tests)',
  },
  {
    layer: 'simulator',
    onlyFolders: ['shared', 'programme'],
    forbiddenFolders: [],
    forbiddenPackages: [],
    why: 'the simulator produces events from the domain alone, so demos, tests and the benchmark can share it',
  },
  {
    layer: 'producer',
    onlyFolders: ['shared', 'programme'],
    forbiddenFolders: [],
    forbiddenPackages: [],
    why: 'the producer library encodes events with the domain only (no handlers, infra or tests)',
  },
  {
    layer: 'functions',
    forbiddenFolders: ['infra', 'test', 'harness', 'bench', 'tools', 'simulator'],
    forbiddenPackages: [],
    why: 'Lambda code must not pull the CDK app, the local runtime, the simulator or test code into its bundle',
  },
  {
    layer: 'console',
    onlyFolders: ['functions'], // only the API's response types (functions/api/responses.ts), type-only
    forbiddenFolders: [],
    forbiddenPackages: [/^node:/, /^@aws-sdk\//, /^aws-lambda$/, /^@aws-lambda-powertools\//],
    why: 'the browser app is bundled alone: it takes only the API response types from functions/',
  },
  {
    layer: 'harness',
    forbiddenFolders: ['test', 'tools'],
    forbiddenPackages: [],
    why: 'the chaos and load harnesses and their oracles run from the command line (npm run chaos/load), not only from tests',
  },
  {
    layer: 'infra',
    forbiddenFolders: ['test', 'bench', 'tools'],
    forbiddenPackages: [],
    why: 'the deployment and the local runtime must not depend on tests',
  },
];

export interface Violation {
  edge: ImportEdge;
  rule: LayerRule;
}

const TS_FILE = /\.(ts|tsx|mts|cts)$/;
const SKIP_DIRS = new Set(['node_modules', 'cdk.out', 'dist', '.memberflow', 'test-artifacts']);

export function listSourceFiles(repoRoot: string, roots = sourceRoots(repoRoot)): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (SKIP_DIRS.has(name) || name.startsWith('.')) continue;
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (TS_FILE.test(name) && !name.endsWith('.d.ts')) out.push(path.relative(repoRoot, full).split(path.sep).join('/'));
    }
  };
  for (const root of roots) if (existsSync(path.join(repoRoot, root))) walk(path.join(repoRoot, root));
  return out.sort();
}

/** Every module specifier a file names: static and dynamic imports, re-exports, `import('x')` types, require('x'). */
export function importsOf(file: string, source: string): { specifier: string; offset: number }[] {
  const result = parseSync(file, source, { sourceType: 'module' });
  if (result.errors.length) throw new Error(`${file}: cannot parse: ${result.errors[0].message}`);
  const found: { specifier: string; offset: number }[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as AstNode;
    const literal = (s: unknown) => {
      const lit = s as AstNode | undefined;
      return lit?.type === 'Literal' && typeof lit.value === 'string' ? lit.value : null;
    };
    let spec: string | null = null;
    switch (n.type) {
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
      case 'ExportNamedDeclaration':
      case 'ImportExpression':
        spec = literal(n.source);
        break;
      case 'TSImportType':
        spec =
          literal((n.argument as AstNode | undefined)?.type === 'TSLiteralType' ? (n.argument as AstNode).literal : n.argument) ??
          literal(n.source);
        break;
      case 'CallExpression':
        if ((n.callee as AstNode | undefined)?.type === 'Identifier' && (n.callee as AstNode).name === 'require')
          spec = literal((n.arguments as unknown[])[0]);
        break;
    }
    if (spec !== null) found.push({ specifier: spec, offset: n.start as number });
    for (const key of Object.keys(n)) if (key !== 'parent' && typeof n[key] === 'object') visit(n[key]);
  };
  visit(result.program);
  return found;
}

type AstNode = { type?: string; [key: string]: unknown };

// `.d.ts`: the types of build output that is not committed (functions/api/console-assets.generated).
const RESOLVE_SUFFIXES = ['', '.ts', '.tsx', '.mts', '.d.ts', '/index.ts', '/index.tsx'];

/** Resolves a relative specifier the way `moduleResolution: Bundler` does for this repository. */
export function resolveRelative(repoRoot: string, fromFile: string, specifier: string): string {
  const base = path.join(path.dirname(path.join(repoRoot, fromFile)), specifier);
  const candidates = [...RESOLVE_SUFFIXES.map((s) => base + s), base.replace(/\.(c|m)?js$/, '.$1ts')];
  for (const c of candidates) {
    if (existsSync(c) && statSync(c).isFile()) return path.relative(repoRoot, c).split(path.sep).join('/');
  }
  throw new Error(`${fromFile}: cannot resolve '${specifier}'`);
}

export function buildGraph(
  repoRoot: string,
  files = listSourceFiles(repoRoot),
  read = (f: string) => readFileSync(path.join(repoRoot, f), 'utf8'),
): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const source = read(file);
    for (const { specifier, offset } of importsOf(file, source)) {
      const relative = specifier.startsWith('.') || specifier.startsWith('/');
      const line = source.slice(0, offset).split('\n').length;
      edges.push({ from: file, specifier, to: relative ? resolveRelative(repoRoot, file, specifier) : null, line });
    }
  }
  return edges;
}

const topFolder = (file: string) => file.split('/')[0];

export function layeringViolations(edges: ImportEdge[], rules = LAYER_RULES): Violation[] {
  const out: Violation[] = [];
  for (const edge of edges) {
    for (const rule of rules) {
      if (topFolder(edge.from) !== rule.layer) continue;
      const target = edge.to !== null ? topFolder(edge.to) : null;
      const bad =
        target === null
          ? rule.forbiddenPackages.some((p) => p.test(edge.specifier))
          : target !== rule.layer && (rule.onlyFolders ? !rule.onlyFolders.includes(target) : rule.forbiddenFolders.includes(target));
      if (bad) out.push({ edge, rule });
    }
  }
  return out;
}

/** Import cycles among the project's files (Tarjan's strongly connected components), each as a path that closes on itself. */
export function findCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (e.to === null) continue;
    if (!next.has(e.from)) next.set(e.from, []);
    if (!next.has(e.to)) next.set(e.to, []);
    if (!next.get(e.from)!.includes(e.to)) next.get(e.from)!.push(e.to);
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || next.get(v)!.includes(v)) components.push(comp);
    }
  };
  for (const v of [...next.keys()].sort()) if (!idx.has(v)) strong(v);
  // One readable loop per component: the shortest path back to its first file.
  return components.map((comp) => shortestLoop(comp.sort()[0], new Set(comp), next));
}

function shortestLoop(start: string, within: Set<string>, next: Map<string, string[]>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of next.get(v)!) {
      if (!within.has(w)) continue;
      if (w === start) {
        const loop = [v];
        while (loop[0] !== start) loop.unshift(prev.get(loop[0])!);
        return [...loop, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

export const describeViolation = (v: Violation) =>
  `${v.edge.from}:${v.edge.line} imports '${v.edge.specifier}' — ${v.rule.layer}/: ${v.rule.why}`;

/**
 * Breaches tolerated while a reorganisation removes them (empty since issue 11's). A tolerated
 * breach that no longer exists fails the check, so the list cannot go stale.
 */
export const TOLERATED = {
  layering: [] as string[],
  cycleFiles: [] as string[],
};

export interface CheckResult {
  violations: Violation[];
  cycles: string[][];
  staleTolerations: string[];
  edges: number;
  files: number;
}

export function checkImports(edges: ImportEdge[], tolerated = TOLERATED): CheckResult {
  const key = (v: Violation) => `${v.edge.from} -> ${v.edge.specifier}`;
  const allViolations = layeringViolations(edges);
  const allCycles = findCycles(edges);
  const violations = allViolations.filter((v) => !tolerated.layering.includes(key(v)));
  const cycles = allCycles.filter((c) => !c.every((f) => tolerated.cycleFiles.includes(f)));
  const staleTolerations = [
    ...tolerated.layering.filter((t) => !allViolations.some((v) => key(v) === t)),
    ...tolerated.cycleFiles.filter((f) => !allCycles.some((c) => c.includes(f))).map((f) => `cycle through ${f}`),
  ];
  return { violations, cycles, staleTolerations, edges: edges.length, files: new Set(edges.map((e) => e.from)).size };
}
