import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, UsageError } from '../src/config.js';
import { requestedSelection } from '../src/server/hosts/narrowed-host.js';

describe('a mistyped safety variable is never silently ignored', () => {
  it('refuses an OPENAI_ADMIN_MCP_ variable it does not know (READONLY for READ_ONLY)', () => {
    expect(() => parseConfig(['--sandbox'], { OPENAI_ADMIN_MCP_READONLY: '1' })).toThrow(UsageError);
    expect(() => parseConfig(['--sandbox'], { OPENAI_ADMIN_MCP_READONLY: '1' })).toThrow(/OPENAI_ADMIN_MCP_READ_ONLY/);
  });

  it('accepts every documented variable', () => {
    const config = parseConfig([], {
      OPENAI_ADMIN_MCP_READ_ONLY: '1',
      OPENAI_ADMIN_MCP_SANDBOX: '0',
      OPENAI_ADMIN_MCP_SANDBOX_PORT: '0',
      OPENAI_ADMIN_MCP_LOG_LEVEL: 'silent',
      OPENAI_ADMIN_MCP_HTTP_TOKEN: 't',
      OPENAI_ADMIN_MCP_CONFIRM_SECRET: 'a-secret-of-32-characters-or-so!',
    });
    expect(config.readOnly).toBe(true);
  });
});

describe('the confirmation secret', () => {
  it('must be long enough that tokens a model holds cannot be used to guess it', () => {
    expect(() => parseConfig([], { OPENAI_ADMIN_MCP_CONFIRM_SECRET: 'short' })).toThrow(/at least 16 characters/);
  });
});

describe('sandbox settings apply wherever the sandbox runs, and nowhere else', () => {
  it.each([
    [['call', 'projects_list', '{}', '--sandbox', '--seed', '2']],
    [['tools', '--sandbox', '--latency-ms', '5']],
    [['view', 'spend_report', '{}', '--out', 'x.html', '--sandbox', '--fault-rate', '0.5']],
    [['--sandbox', '--seed', '2', '--fault-rate', '0.5']],
    [['sandbox', '--seed', '2']],
  ])('%j is accepted', (argv) => {
    expect(() => parseConfig(argv, {})).not.toThrow();
  });

  it('OPENAI_ADMIN_MCP_SANDBOX=1 counts as --sandbox', () => {
    expect(parseConfig(['call', 'projects_list', '--seed', '4'], { OPENAI_ADMIN_MCP_SANDBOX: '1' }).seed).toBe(4);
  });

  it.each([
    [['--seed', '2', '--fault-rate', '0.5'], /--seed applies only to 'sandbox' and '--sandbox'/],
    [['call', 'projects_list', '--latency-ms', '5'], /--latency-ms applies only/],
    [['tools', '--fault-rate', '0.1'], /--fault-rate applies only/],
  ])('%j against the real API is refused, not ignored', (argv, message) => {
    expect(() => parseConfig(argv, { OPENAI_ADMIN_KEY: 'sk-admin-x' })).toThrow(message);
  });
});

describe('boolean variables: one parser, the words the README names', () => {
  it.each(['1', 'true', 'TRUE', 'yes', 'on', ' 1 '])('%j is true', (value) => {
    expect(parseConfig([], { OPENAI_ADMIN_MCP_READ_ONLY: value, OPENAI_ADMIN_KEY: 'sk-admin-x' }).readOnly).toBe(true);
  });

  it.each(['0', 'false', 'No', 'off', ''])('%j is false', (value) => {
    expect(parseConfig([], { OPENAI_ADMIN_MCP_READ_ONLY: value, OPENAI_ADMIN_KEY: 'sk-admin-x' }).readOnly).toBe(false);
  });

  it.each(['ture', '2', 'y', 'enabled'])('%j exits 2 naming the variable and the accepted words', (value) => {
    expect(() => parseConfig([], { OPENAI_ADMIN_MCP_READ_ONLY: value })).toThrow(UsageError);
    expect(() => parseConfig([], { OPENAI_ADMIN_MCP_READ_ONLY: value })).toThrow(new RegExp(`OPENAI_ADMIN_MCP_READ_ONLY='${value}' is not a boolean: use 1 or 0 \\(also true/false, yes/no, on/off\\)`));
  });

  it('the README says what the parser accepts', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/a boolean variable or header that is not 1 or 0 \(or true\/false, yes\/no, on\/off; any case\)/);
    expect(readme).not.toMatch(/neither 1 nor 0/);
  });

  it('X-MCP-Readonly takes the same words', () => {
    expect(requestedSelection({ 'x-mcp-readonly': 'yes' })?.readOnly).toBe(true);
    expect(requestedSelection({ 'x-mcp-readonly': 'off' })?.readOnly).toBe(false);
    expect(() => requestedSelection({ 'x-mcp-readonly': 'ture' })).toThrow(/X-MCP-Readonly='ture' is not a boolean: use 1 or 0 \(also true\/false, yes\/no, on\/off\)/);
  });
});
