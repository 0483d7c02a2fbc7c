import type { IncomingMessage } from 'node:http';
import type { AdminClient } from '../../client/index.js';
import type { Logger } from '../../log.js';
import type { Grant } from '../access/policy.js';
import type { Host } from '../hosts/host.js';
import type { Authentication } from './authentication.js';

/** What the stateless and the session dispatch share: who is calling, which host serves them, which client. */
export interface Dispatch {
  auth: Authentication;
  /** The host a request is served by (the person's grant and the request's headers narrow it), or why its headers are refused. */
  hostFor(req: IncomingMessage, grant?: Grant): { host: Host } | { error: string };
  /** A client for the admin key a request carries (`--key-from-header`). */
  clientFor?: (headers: Record<string, string | string[] | undefined>) => AdminClient | undefined;
  logger: Logger;
}
