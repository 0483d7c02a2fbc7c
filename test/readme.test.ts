import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, FLAGS, OTHER_VARIABLES, type FlagSpec } from '../src/flags.js';
import { DEFAULT_TOOLS } from '../src/server/listing/default-tools.js';
import { endpointTools } from '../tools/index.js';
import { CLI } from './connect.js';

/*
 * The README's flag table is the reference people read, so every flag and variable the CLI accepts
 * must appear in a row of a real Markdown table: a block of `|` lines whose second line is the
 * `|---|` separator. A row cut off from its header by a paragraph renders as plain text, which is
 * how the table once lost half its rows without anyone noticing.
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Blocks of consecutive lines that start with `|`, outside code fences. */
function pipeBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  let current: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (!fenced && line.startsWith('|')) current.push(line);
    else if (current.length > 0) {
      blocks.push(current);
      current = [];
    }
  }
  if (current.length > 0) blocks.push(current);
  return blocks;
}

const SEPARATOR = /^\|(\s*:?-{3,}:?\s*\|)+\s*$/;
const blocks = pipeBlocks(readme);

/** Every OPENAI_* variable the configuration reads, found in its source so one the flag table lacks cannot be missed. */
const configSource = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');
const readVariables = [...new Set([...configSource.matchAll(/\b(OPENAI_[A-Z_]+)\b/g)].map((m) => m[1] as string))].filter((v) => v !== 'OPENAI_ADMIN_MCP_');

const flags = Object.entries(FLAGS) as [string, FlagSpec][];
const tableVariables = [...flags.flatMap(([, flag]) => (flag.env ? [flag.env] : [])), ...OTHER_VARIABLES.map((v) => v.env)];

/** The cells of the README's flag table (header `| flag | environment | meaning |`), one array per row. */
const flagTable = (blocks.find((b) => /^\|\s*flag\s*\|\s*environment\s*\|/.test(b[0] as string)) ?? []).slice(2).map((row) => row.split(/(?<!\\)\|/).slice(1, -1));
const flagsIn = (cell: string) => [...cell.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1] as string);
const variablesIn = (cell: string) => [...cell.matchAll(/`(OPENAI_[A-Z_]+)/g)].map((m) => m[1] as string);

describe('README flag table', () => {
  it('has no table rows outside a table (every block of | lines starts with a header and a separator)', () => {
    const broken = blocks.filter((b) => !(b.length >= 2 && SEPARATOR.test(b[1] as string)));
    expect(broken.map((b) => b[0])).toEqual([]);
  });

  it.each(flags.map(([name, flag]) => [`--${name}`, flag.env ?? 'no variable'] as const))('%s has a row in the flag table with %s', (flag, variable) => {
    const row = flagTable.find(([first = '', second = '']) => flagsIn(first).includes(flag.slice(2)) && (variable === 'no variable' || variablesIn(second).includes(variable)));
    expect(row, `no row of the README's flag table names ${flag} with ${variable}`).toBeDefined();
  });

  it.each(OTHER_VARIABLES.map((v) => [v.env] as const))('%s has a row in the flag table', (variable) => {
    expect(flagTable.some(([, second = '']) => variablesIn(second).includes(variable))).toBe(true);
  });

  it('names no flag or variable the flag table in src/flags.ts lacks', () => {
    expect(flagTable.flatMap(([first = '']) => flagsIn(first)).filter((name) => !(name in FLAGS))).toEqual([]);
    expect(flagTable.flatMap(([, second = '']) => variablesIn(second)).filter((name) => !tableVariables.includes(name))).toEqual([]);
  });

  it('every variable the configuration reads or accepts is in the flag table', () => {
    expect(readVariables.filter((name) => !tableVariables.includes(name))).toEqual([]);
    expect(ENV_VARIABLES.filter((name) => !tableVariables.includes(name))).toEqual([]);
  });

  it('the lists checked are the real ones', () => {
    expect(flagTable.length).toBeGreaterThan(30);
    expect(Object.keys(FLAGS)).toEqual(expect.arrayContaining(['read-only', 'confirm-with', 'audit-log']));
    expect(readVariables).toEqual(expect.arrayContaining(['OPENAI_ADMIN_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORG_ID', 'OPENAI_ADMIN_MCP_SANDBOX_PORT']));
  });
});

/** The built CLI's output for these arguments (dist/ is built by `npm test`). */
const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
const listedCount = (...flags: string[]) => (JSON.parse(cli('tools', '--json', '--sandbox', ...flags)) as unknown[]).length;
/** The number in the README's text matched by `pattern`'s first group; fails when the text is gone. */
function figure(pattern: RegExp): number {
  const match = pattern.exec(readme.replace(/\s+/g, ' '));
  if (!match) throw new Error(`the README no longer says ${pattern}: update this test with the sentence that replaced it`);
  return Number((match[1] as string).replace(/,/g, ''));
}

describe('README figures', () => {
  it('counts the Admin API operations as there are endpoint tools', () => {
    expect(figure(/All (\d+) Admin API operations/)).toBe(endpointTools.length);
    expect(figure(/With every tool \((\d+) endpoint tools/)).toBe(endpointTools.length);
  });

  it('counts the default listing and --toolsets all as the built server lists them', () => {
    expect(figure(/That is (\d+) tools/)).toBe(listedCount());
    expect(figure(/the (\d+) tools the everyday jobs ask for most/)).toBe(DEFAULT_TOOLS.length);
    expect(figure(/`--toolsets all` lists every tool \((\d+) with the whole Admin API/)).toBe(listedCount('--toolsets', 'all'));
  });

  it('--help describes every flag and variable of the flag table on a line of its own', () => {
    const help = cli('--help');
    const section = (name: string, end: string) => help.slice(help.indexOf(`\n${name}:`), end ? help.indexOf(`\n${end}:`) : undefined);
    // An entry's own line starts with it; the first column ends at the first run of two spaces.
    const firstColumns = (text: string) => text.split('\n').filter((line) => /^ {2}[-A-Z]/.test(line)).map((line) => line.trim().split(/ {2,}/)[0] as string);
    const described = firstColumns(section('Flags', 'Environment')).flatMap((column) => [...column.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1] as string));
    expect(described.sort()).toEqual(Object.keys(FLAGS).sort());
    const variables = firstColumns(section('Environment', '')).filter((column) => column.startsWith('OPENAI_')).map((column) => column.replace(/=.*$/, ''));
    expect(variables.sort()).toEqual([...tableVariables].sort());
  });
});
