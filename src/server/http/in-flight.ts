import type { RequestId } from '@modelcontextprotocol/sdk/types.js';

/*
 * The tool calls a stateless replica is answering now, so that `notifications/cancelled`, which
 * arrives in a POST of its own and is handed to a fresh MCP server that never saw the call, still
 * reaches it. A call is known by the credential that made it and its JSON-RPC id: no session ties
 * the two POSTs together, and ids are only unique per client, so the credential keeps one tenant
 * from cancelling another's calls.
 */

export class InFlightCalls {
  private readonly calls = new Map<string, Set<() => void>>();

  /**
   * Records a call; `stop` ends it (the caller closes that POST's transport, which aborts the
   * handler's signal). Returns the function that forgets it once it has been answered.
   */
  track(credential: string, id: RequestId, stop: () => void): () => void {
    const key = keyOf(credential, id);
    const same = this.calls.get(key) ?? new Set<() => void>();
    same.add(stop);
    this.calls.set(key, same);
    return () => {
      same.delete(stop);
      if (same.size === 0 && this.calls.get(key) === same) this.calls.delete(key);
    };
  }

  /**
   * Stops the call this credential made with this id, if this replica runs exactly one such call.
   * Two clients sharing a credential can both have a call with the same id in flight; then which
   * one was meant is unknown, and stopping the wrong one is worse than letting both finish.
   */
  cancel(credential: string, id: RequestId): 'cancelled' | 'unknown' | 'ambiguous' {
    const same = this.calls.get(keyOf(credential, id));
    if (!same || same.size === 0) return 'unknown';
    if (same.size > 1) return 'ambiguous';
    const [stop] = same;
    stop?.();
    return 'cancelled';
  }

  get size(): number {
    return this.calls.size;
  }
}

/** The id's type is part of the key: 1 and "1" are different JSON-RPC ids. */
function keyOf(credential: string, id: RequestId): string {
  return `${credential}\u0000${typeof id}:${String(id)}`;
}
