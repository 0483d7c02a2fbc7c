import { describe, expect, it } from 'vitest';
import { parseConfig, UsageError } from '../../src/config.js';

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
