/*
 * Logs go to stderr only: stdout belongs to the MCP protocol. Every line passes through `redact`,
 * so an admin key or a one-time secret can never reach a log even if a caller passes one in.
 */

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  level: LogLevel;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

/** Anything shaped like an OpenAI key: sk-…, sk-admin-…, sk-proj-…, sk-svcacct-…. */
const KEY_PATTERN = /\bsk-[A-Za-z0-9_-]{6,}/g;

/** Masks OpenAI-style keys and any of the given literal secrets. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 6) out = out.split(secret).join('[REDACTED]');
  return out.replace(KEY_PATTERN, (key) => `${key.slice(0, key.startsWith('sk-admin-') ? 9 : 3)}[REDACTED]`);
}

export function createLogger(options: { level?: LogLevel; write?: (line: string) => void; secrets?: () => readonly string[] } = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const secrets = options.secrets ?? (() => []);
  const logger: Logger = {
    level: options.level ?? 'info',
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
  };
  function emit(level: LogLevel, message: string, fields?: LogFields): void {
    if (RANK[level] > RANK[logger.level]) return;
    const extra = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` ${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
          .join('')
      : '';
    write(`${redact(`openai-admin-mcp ${level}: ${message}${extra}`, secrets())}\n`);
  }
  return logger;
}

export function parseLogLevel(value: string | undefined): LogLevel | null {
  if (value === undefined || value === '') return null;
  return value in RANK ? (value as LogLevel) : null;
}
