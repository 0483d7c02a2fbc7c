import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, OPTIONS } from '../../src/config.js';
import { DEFAULT_TOOLS } from '../../src/server/listing/default-tools.js';
import { endpointTools } from '../../tools/index.js';
import { CLI } from '../e2e/connect.js';

/*
 * The README's flag table is the reference people read, so every flag and variable the CLI accepts
 * must appear in a row of a real Markdown table: a block of `|` lines whose second line is the
 * `|---|` separator. A row cut off from its header by a paragraph renders as plain text, which is
 * how the table once lost half its rows without anyone noticing.
 */
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

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
/** Body rows of well-formed tables. */
const rows = blocks.filter((b) => b.length >= 2 && SEPARATOR.test(b[1] as string)).flatMap((b) => b.slice(2));
const inRow = (needle: RegExp) => rows.some((row) => needle.test(row));

/** Every OPENAI_* variable the configuration reads, found in its source so a new one cannot be missed. */
const configSource = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');
const readVariables = [...new Set([...configSource.matchAll(/\b(OPENAI_[A-Z_]+)\b/g)].map((m) => m[1] as string))].filter((v) => v !== 'OPENAI_ADMIN_MCP_');

describe('README flag table', () => {
  it('has no table rows outside a table (every block of | lines starts with a header and a separator)', () => {
    const broken = blocks.filter((b) => !(b.length >= 2 && SEPARATOR.test(b[1] as string)));
    expect(broken.map((b) => b[0])).toEqual([]);
  });

  it.each(Object.keys(OPTIONS).map((name) => [`--${name}`] as const))('%s is in a table row', (flag) => {
    expect(inRow(new RegExp(`\`[^\`]*${flag}(?![\\w-])`))).toBe(true);
  });

  it.each([...new Set([...ENV_VARIABLES, ...readVariables])].map((name) => [name] as const))('%s is in a table row', (variable) => {
    expect(inRow(new RegExp(`\`${variable}(?![A-Z_])`))).toBe(true);
  });

  it('the lists checked are the real ones', () => {
    expect(Object.keys(OPTIONS)).toEqual(expect.arrayContaining(['read-only', 'confirm-with', 'audit-log']));
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

  it('--help describes every flag the configuration accepts on a line of its own', () => {
    const help = cli('--help');
    const flagsSection = help.slice(help.indexOf('\nFlags:'), help.indexOf('\nEnvironment:'));
    // A flag's own line starts with it; the first column ends at the first run of two spaces.
    const described = flagsSection
      .split('\n')
      .filter((line) => /^ {2}-/.test(line))
      .flatMap((line) => [...(line.trim().split(/ {2,}/)[0] as string).matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1] as string));
    // --json and --out belong to one command each and are described on its usage line.
    const commandFlags = ['json', 'out'];
    expect(described.sort()).toEqual(Object.keys(OPTIONS).filter((f) => !commandFlags.includes(f)).sort());
    for (const flag of commandFlags) expect(help).toMatch(new RegExp(`\\[?--${flag}\\b`));
  });
});
