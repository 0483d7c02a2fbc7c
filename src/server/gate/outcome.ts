import { ApiError, CancelledError, ConnectionError } from '../../client/index.js';
import { digest } from './confirm.js';
import type { HttpMethod } from '../../../tools/define.js';

/*
 * What a failed write actually did. The client retries deletes and updates through timeouts,
 * server errors and lost connections, and an attempt answered that way may have been processed: a
 * DELETE answered 500 after the API removed the object is repeated, and the repeat is told 404. The
 * last answer then describes the state the earlier attempt left, not a refusal. So a failure after
 * an attempt that may have been processed is never reported as "nothing happened" on its word alone.
 * Where the tool names a target, the target is read again and the outcome is settled from what is
 * there now; otherwise the result says that the write may have happened.
 */

/** A destructive tool's target as read through its GET path. */
export interface TargetRead {
  found: boolean;
  state?: unknown;
}

export type Settled =
  /** The change is there: the target the call was to delete is gone. */
  | { kind: 'done'; evidence: string }
  /** The change is not there, and the API's last answer was a definitive refusal. */
  | { kind: 'not_done'; evidence: string }
  /** It cannot be told from here whether the change happened. */
  | { kind: 'uncertain'; evidence?: string; state?: unknown }
  /** An ordinary failure: no attempt can have been processed. */
  | { kind: 'failed' };

/**
 * Whether a failed request may nevertheless have changed something, counting every attempt. A 2xx
 * whose body could not be read (over the size cap, not JSON) was processed: the write happened.
 */
export function mayHaveHappened(error: unknown): boolean {
  if (error instanceof ApiError) return error.status < 300 || error.status >= 500 || error.status === 408 || error.earlierAttemptMayHaveBeenProcessed;
  if (error instanceof ConnectionError || error instanceof CancelledError) return error.mayHaveReachedServer;
  return false;
}

export interface SettleInput {
  method: HttpMethod;
  /** The target's GET path, when the tool has one. */
  targetPath?: string;
  /** The target as read, under the target's lock, just before the request went out. */
  before?: TargetRead;
  /** Reads the target again. */
  read: (path: string) => Promise<TargetRead>;
}

export async function settleFailure(error: unknown, input: SettleInput): Promise<Settled> {
  if (!mayHaveHappened(error)) return { kind: 'failed' };
  // A cancelled call stops here: the caller asked for no more requests.
  if (error instanceof CancelledError || !input.targetPath || !input.before) return { kind: 'uncertain' };
  const { targetPath, before } = input;
  let now: TargetRead;
  try {
    now = await input.read(targetPath);
  } catch {
    return { kind: 'uncertain', evidence: `GET ${targetPath} failed too, so the target could not be checked.` };
  }
  if (before.found && !now.found) {
    if (input.method === 'DELETE') return { kind: 'done', evidence: `GET ${targetPath} now answers 404: the target is gone, so the deletion took effect.` };
    return { kind: 'uncertain', evidence: `GET ${targetPath} now answers 404.` };
  }
  const unchanged = digest(before.found ? before.state : null) === digest(now.found ? now.state : null);
  if (unchanged && isDefinitiveRefusal(error)) {
    return { kind: 'not_done', evidence: `GET ${targetPath} shows the target exactly as it was before the call, so nothing changed.` };
  }
  return unchanged
    ? // A request whose connection was lost or whose answer timed out may still be at work in the API.
      { kind: 'uncertain', evidence: `GET ${targetPath} shows the target unchanged so far.`, ...(now.found ? { state: now.state } : {}) }
    : { kind: 'uncertain', evidence: `GET ${targetPath} shows the target changed since before the call.`, ...(now.found ? { state: now.state } : {}) };
}

/** The last answer refused the request before processing it (a 4xx other than a timeout). */
function isDefinitiveRefusal(error: unknown): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 408;
}
