import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fileCycles, folderCycles, readGraph, twoWayFolders, type Graph } from './imports.js';

/*
 * The house's rules (docs/ARCHITECTURE.md), measured from the code on every run: no file imports
 * itself through others, no two folders import each other, folders form no loop, and tools/ (the
 * data) imports nothing from src/server (the code that runs it).
 */

const repo = fileURLToPath(new URL('../..', import.meta.url));
const graph = readGraph(repo);

describe('the import graph of src/ and tools/', () => {
  it('reads the whole tree', () => {
    expect(graph.files.length).toBeGreaterThan(100);
    expect(graph.edges.get('src/cli.ts')?.size).toBeGreaterThan(0);
  });

  it('has no import cycle between files', () => {
    expect(fileCycles(graph)).toEqual([]);
  });

  it('has no two folders that import each other', () => {
    expect(twoWayFolders(graph)).toEqual([]);
  });

  it('has no loop between folders', () => {
    expect(folderCycles(graph)).toEqual([]);
  });

  it('keeps tools/ free of src/server', () => {
    const offending = [...graph.edges].flatMap(([file, targets]) => (file.startsWith('tools/') ? [...targets].filter((t) => t.startsWith('src/server/')).map((t) => `${file} -> ${t}`) : []));
    expect(offending).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const tiny = (edges: Record<string, string[]>): Graph => ({ files: Object.keys(edges), edges: new Map(Object.entries(edges).map(([f, t]) => [f, new Set(t)])) });

  it('find a planted cycle of three files', () => {
    const cycles = fileCycles(tiny({ 'src/a/x.ts': ['src/b/y.ts'], 'src/b/y.ts': ['src/c/z.ts'], 'src/c/z.ts': ['src/a/x.ts'], 'src/d/w.ts': [] }));
    expect(cycles).toEqual([['src/a/x.ts', 'src/b/y.ts', 'src/c/z.ts']]);
  });

  it('find two folders that import each other without a file cycle', () => {
    const g = tiny({ 'src/a/x.ts': ['src/b/y.ts'], 'src/b/z.ts': ['src/a/w.ts'], 'src/b/y.ts': [], 'src/a/w.ts': [] });
    expect(fileCycles(g)).toEqual([]);
    expect(twoWayFolders(g)).toEqual(['src/a <-> src/b: src/a/x.ts -> src/b/y.ts; src/b/z.ts -> src/a/w.ts']);
  });

  it('count the files directly in a folder with folders inside as units of their own', () => {
    const g = tiny({ 'src/log.ts': [], 'src/runtime.ts': ['src/a/x.ts'], 'src/a/x.ts': ['src/log.ts'] });
    expect(twoWayFolders(g)).toEqual([]);
    expect(folderCycles(g)).toEqual([]);
  });
});
