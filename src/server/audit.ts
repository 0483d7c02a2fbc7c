import { chmodSync, closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { redact } from '../log.js';

/*
 * The audit trail (`--audit-log FILE`): every write or destructive attempt becomes a JSON line,
 * written and fsynced before the tool returns. It fails closed: when a line cannot be written the
 * tool fails, and a write that would have gone to the API is never sent. So an executed write
 * leaves two lines sharing an `attempt` id, `phase: "request"` before the request goes out and
 * `phase: "result"` after; previews, refusals and dry runs change nothing and leave one line.
 */

export type AuditOutcome = 'preview' | 'refused' | 'dry_run' | 'declined' | 'sending' | 'succeeded' | 'failed';

export interface AuditEntry {
  attempt: string;
  phase: 'request' | 'result' | 'final';
  tool: string;
  effect: string;
  arguments: Record<string, unknown>;
  outcome: AuditOutcome;
  /** How the call was confirmed or refused: token or elicitation, and the verdict. */
  decision?: string;
  status?: number | null;
  request_id?: string | null;
  may_have_happened?: boolean;
  /**
   * How an outcome was settled when the API's answer could not be taken at its word (an earlier
   * attempt may have been processed): what the target showed when it was read again.
   */
  verified?: string;
  /** A success came to a retry after an attempt that may have been processed. */
  earlier_attempt_may_have_been_processed?: boolean;
  message?: string;
}

export class AuditWriteError extends Error {
  override readonly name = 'AuditWriteError';
}

export interface AuditSink {
  record(entry: AuditEntry): void;
}

export class AuditTrail implements AuditSink {
  private fd: number;

  constructor(
    readonly path: string,
    private readonly secrets: () => readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    this.fd = openSync(path, 'a', 0o600);
    // An existing file keeps its mode on open; an audit trail of secrets-adjacent data is the owner's alone.
    try {
      chmodSync(path, 0o600);
    } catch {
      // Character devices and the like cannot be chmodded; writes still fail closed below.
    }
  }

  /** Appends one line and flushes it to disk, or throws AuditWriteError. */
  record(entry: AuditEntry): void {
    const line = `${redact(JSON.stringify({ time: new Date(this.now()).toISOString(), ...entry, arguments: redactArguments(entry.arguments) }), this.secrets())}\n`;
    try {
      writeSync(this.fd, line);
      try {
        fsyncSync(this.fd);
      } catch (error) {
        // Pipes and character devices cannot be fsynced; only a failed write means the line is lost.
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL' && (error as NodeJS.ErrnoException).code !== 'ENOTSUP') throw error;
      }
    } catch (error) {
      throw new AuditWriteError(`the audit log ${this.path} could not be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * A confirmation token is a capability: the trail records that one was given, never the token.
 * Long strings (a certificate's PEM, say) are cut to their start and length, so a line stays a line.
 */
export function redactArguments(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (key === 'confirm' && typeof value === 'string') out[key] = '[token]';
    else out[key] = shorten(value);
  }
  return out;
}

const LONGEST = 200;

function shorten(value: unknown): unknown {
  if (typeof value === 'string') return value.length > LONGEST ? `${value.slice(0, 40)}…[${value.length} chars]` : value;
  if (Array.isArray(value)) return value.map(shorten);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v)]));
  return value;
}
