import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/*
 * The import graph of the shipped code (src/ and tools/), read with the TypeScript compiler's own
 * pre-processor (static imports, `export … from`, `import()` with a literal and `import type`
 * alike: a type-only import is still an arrow a reader has to follow).
 *
 * A file's folder is its directory, with one exception: a directory that has folders inside it is
 * a root they hang from rather than one idea, so each file directly in it is a unit of its own
 * (src/cli.ts, src/runtime.ts and the small leaves src/log.ts, src/config.ts, …; the sandbox's
 * server.ts beside its leaves errors.ts and state.ts, which routes/ and seed/ use).
 */

export const ROOTS = ['src', 'tools'];
const SKIP = new Set(['web']); // src/views/web is browser code built by its own tsconfig.

export interface Graph {
  /** Every file, relative to the repository root with forward slashes. */
  files: string[];
  /** file -> the files of this tree it imports. */
  edges: Map<string, Set<string>>;
}

function listSources(root: string, dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (!SKIP.has(name)) listSources(root, full, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
      out.push(relative(root, full).split(sep).join('/'));
    }
  }
}

export function readGraph(repo: string): Graph {
  const files: string[] = [];
  for (const root of ROOTS) listSources(repo, join(repo, root), files);
  const known = new Set(files);
  const edges = new Map<string, Set<string>>();
  for (const file of files) {
    const targets = new Set<string>();
    const info = ts.preProcessFile(readFileSync(join(repo, file), 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = relative(repo, resolve(repo, dirname(file), fileName)).split(sep).join('/').replace(/\.js$/, '.ts');
      if (known.has(target)) targets.add(target);
    }
    edges.set(file, targets);
  }
  return { files, edges };
}

/** The folder each file belongs to, as the rule above says. */
export function foldersOf(files: readonly string[]): Map<string, string> {
  const dirs = new Set(files.map((f) => dirname(f)));
  const roots = new Set([...dirs].filter((d) => [...dirs].some((other) => other.startsWith(`${d}/`))));
  return new Map(files.map((f) => [f, roots.has(dirname(f)) ? f : dirname(f)]));
}

/** Strongly connected components of more than one file (Tarjan), each sorted: the import cycles. */
export function fileCycles(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter++;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.edges.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || graph.edges.get(file)?.has(file)) cycles.push(component.sort());
    }
  };
  for (const file of graph.files) if (!index.has(file)) visit(file);
  return cycles;
}

/** folder -> folder arrows, each with one file-level import that makes it (for the message). */
export function folderArrows(graph: Graph): Map<string, Map<string, string>> {
  const folderOf = foldersOf(graph.files);
  const arrows = new Map<string, Map<string, string>>();
  for (const [file, targets] of graph.edges) {
    for (const target of targets) {
      const from = folderOf.get(file)!;
      const to = folderOf.get(target)!;
      if (from === to) continue;
      if (!arrows.has(from)) arrows.set(from, new Map());
      if (!arrows.get(from)!.has(to)) arrows.get(from)!.set(to, `${file} -> ${target}`);
    }
  }
  return arrows;
}

/** Pairs of folders that import each other, with one import each way. */
export function twoWayFolders(graph: Graph): string[] {
  const arrows = folderArrows(graph);
  const pairs: string[] = [];
  for (const [from, targets] of arrows) {
    for (const [to, why] of targets) {
      const back = arrows.get(to)?.get(from);
      if (back && from < to) pairs.push(`${from} <-> ${to}: ${why}; ${back}`);
    }
  }
  return pairs.sort();
}

/** Folder-level cycles longer than two (A -> B -> C -> A), which no pair shows. */
export function folderCycles(graph: Graph): string[][] {
  const arrows = folderArrows(graph);
  const folders = [...new Set(foldersOf(graph.files).values())];
  const folderGraph: Graph = { files: folders, edges: new Map(folders.map((f) => [f, new Set(arrows.get(f)?.keys() ?? [])])) };
  return fileCycles(folderGraph);
}
