import { chmodSync, closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { redact } from '../../log.js';

/*
 * The audit trail (`--audit-log FILE`): every write or destructive attempt becomes a JSON line,
 * written and fsynced before the tool returns. It fails closed: when a line cannot be written the
 * tool fails, and a write that would have gone to the API is never sent. So an executed write
 * leaves two lines sharing an `attempt` id, `phase: "request"` before the request goes out and
 * `phase: "result"` after; previews, refusals and dry runs change nothing and leave one line. A
 * plan step whose delete finds its target already gone leaves one line, `skipped`.
 */

export type AuditOutcome = 'preview' | 'refused' | 'dry_run' | 'declined' | 'sending' | 'succeeded' | 'failed' | 'skipped' | 'approved' | 'rejected' | 'expired';

export interface AuditEntry {
  attempt: string;
  phase: 'request' | 'result' | 'final';
  tool: string;
  effect: string;
  /** The plan this line's call is a step of (src/plans), and the step's number. */
  plan?: string;
  step?: number;
  /** The script (run_script) this line's call came from, and the call's number in it. */
  script?: string;
  call?: number;
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
  /** Who asked: the token's person over OAuth, `local` over stdio, or how an HTTP caller authenticated. */
  caller?: AuditCaller;
  /** The HTTP session the call came in, when it had one. */
  session?: string;
  /** The approval a call needed (`--confirm-with approval`): who asked and who decided, with times. */
  approval?: ApprovalStamp;
}

export interface ApprovalStamp {
  id: string;
  requester: AuditCaller;
  requested_at: string;
  approver?: AuditCaller;
  /** When the approver approved or rejected it. */
  decided_at?: string;
}

/** An OAuth caller, or a word for a caller without a person: `local`, `http-token`, `anonymous`. */
export type AuditCaller = string | { sub: string; email?: string; client_id?: string };

/** A sink that stamps every line with its caller and session. */
export function attributed(sink: AuditSink, caller: AuditCaller, session: string | undefined): AuditSink {
  return { record: (entry) => sink.record({ ...entry, caller, ...(session !== undefined ? { session } : {}) }) };
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
  const out = shorten(args) as Record<string, unknown>;
  if (Object.hasOwn(args, 'confirm') && typeof args.confirm === 'string') out.confirm = '[token]';
  return out;
}

const LONGEST = 200;
/** Deeper values are summarised: the door refuses deeper arguments anyway, but the trail records what it refused. */
const DEEPEST = 32;
/** Values recorded per line, at most; the rest of a container is summarised. */
const MOST_VALUES = 10_000;

interface Pending {
  value: unknown;
  depth: number;
  put: (shortened: unknown) => void;
}

/**
 * A value as the trail records it: long strings cut, nesting beyond DEEPEST and values beyond
 * MOST_VALUES summarised. Iterative, so no argument can exhaust the stack; objects come out without a
 * prototype, so `__proto__` or `constructor` keys are copied as plain data (the result is for JSON).
 */
export function shorten(value: unknown): unknown {
  let result: unknown;
  let budget = MOST_VALUES;
  const pending: Pending[] = [{ value, depth: 0, put: (v) => (result = v) }];
  while (pending.length > 0) {
    const { value: v, depth, put } = pending.pop() as Pending;
    budget -= 1;
    if (typeof v === 'string') put(v.length > LONGEST ? `${v.slice(0, 40)}…[${v.length} chars]` : v);
    else if (typeof v === 'bigint') put(`${v}n`);
    else if (typeof v === 'function' || typeof v === 'symbol') put(undefined);
    else if (v === null || typeof v !== 'object') put(v);
    else if (depth >= DEEPEST) put(`[nested deeper than ${DEEPEST} levels]`);
    else if (Array.isArray(v)) {
      const room = Math.max(0, Math.min(v.length, budget - pending.length));
      const out: unknown[] = new Array<unknown>(room);
      if (room < v.length) out.push(`[${v.length - room} more items]`);
      put(out);
      for (let i = room - 1; i >= 0; i--) pending.push({ value: v[i], depth: depth + 1, put: (x) => (out[i] = x) });
    } else {
      const keys = Object.keys(v);
      const room = Math.max(0, Math.min(keys.length, budget - pending.length));
      // No prototype, so a `__proto__` key is plain data; keys are set up front to keep their order.
      const out = Object.create(null) as Record<string, unknown>;
      for (let i = 0; i < room; i++) out[keys[i] as string] = undefined;
      if (room < keys.length) out['…'] = `${keys.length - room} more fields`;
      put(out);
      for (let i = room - 1; i >= 0; i--) {
        const key = keys[i] as string;
        pending.push({ value: (v as Record<string, unknown>)[key], depth: depth + 1, put: (x) => (out[key] = x) });
      }
    }
  }
  return result;
}
