import { createHash, randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';
import type { Logger } from '../log.js';
import { StoreUnavailableError, type ConfirmationStore } from './confirmation-store.js';

/*
 * The confirmation store on Redis (`--store redis://…`), shared by replicas so that a token executes
 * once across all of them. Loaded only when --store is set: a server without it never pays for the
 * client.
 *
 * - claim: SET NX PX. Redis runs each command alone, so of any number of replicas claiming one nonce
 *   at once exactly one gets OK; the key expires with the token.
 * - lock: SET NX PX with a random token, retried until free. The holder renews it while it holds it
 *   and releases it with a compare-and-delete script, so a holder whose lock expired (a process that
 *   stalled) can never delete the next holder's. A crashed holder's lock frees itself after LOCK_TTL_MS.
 *
 * Fail closed: the client queues nothing while disconnected and every command has a deadline, so an
 * unreachable Redis turns into a StoreUnavailableError at once rather than a hung confirmation.
 */

/**
 * How long a lock outlives a holder that stopped renewing it (crashed or cut off from Redis): the
 * time a target stays blocked after its replica died mid-confirmation. Renewed three times per TTL,
 * so only a process stalled for seconds loses a lock it still uses.
 */
export const LOCK_TTL_MS = 6_000;
const RENEW_EVERY_MS = LOCK_TTL_MS / 3;
/** A command that gets no answer in this long counts as the store being unreachable. */
const COMMAND_TIMEOUT_MS = 2_000;
/** Waiting for a held lock: polls start at this delay and back off to the maximum. */
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 100;

const PREFIX = 'openai-admin-mcp:';

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

export interface RedisStoreOptions {
  url: string;
  logger: Logger;
}

export class RedisConfirmationStore implements ConfirmationStore {
  private readonly client;
  /** The URL without credentials, for messages and logs. */
  readonly where: string;
  private lastError = 'not connected yet';
  private warnedAt = 0;

  constructor(private readonly options: RedisStoreOptions) {
    this.where = withoutCredentials(options.url);
    this.client = createClient({
      url: options.url,
      // Nothing waits in a queue for a Redis that is gone: the confirmation is refused instead.
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS },
      socket: { connectTimeout: COMMAND_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000) },
    });
    this.client.on('error', (error: Error) => {
      this.lastError = error.message || error.name;
      // Reconnection retries every 2 s at most; one warning a minute is enough to be seen.
      if (Date.now() - this.warnedAt > 60_000) {
        this.warnedAt = Date.now();
        options.logger.warn('confirmation store unreachable; destructive confirmations are refused until it is back', { store: this.where, error: this.lastError });
      }
    });
    this.client.on('ready', () => {
      if (this.warnedAt !== 0) options.logger.info('confirmation store reachable again', { store: this.where });
      this.warnedAt = 0;
    });
    // Connects in the background: a server whose store is down still starts and serves reads.
    this.client.connect().catch((error: Error) => {
      this.lastError = error.message || error.name;
    });
  }

  async claim(nonce: string, ttlMs: number): Promise<boolean> {
    const reply = await this.command<string | null>(['SET', `${PREFIX}nonce:${nonce}`, '1', 'NX', 'PX', String(Math.max(1, Math.ceil(ttlMs)))]);
    return reply === 'OK';
  }

  async lock(key: string, signal?: AbortSignal): Promise<() => void> {
    // Hashed so that a key of any length and content is one short Redis key.
    const redisKey = `${PREFIX}lock:${createHash('sha256').update(key).digest('base64url')}`;
    const token = randomBytes(16).toString('base64url');
    let delay = POLL_MIN_MS;
    for (;;) {
      signal?.throwIfAborted();
      const reply = await this.command<string | null>(['SET', redisKey, token, 'NX', 'PX', String(LOCK_TTL_MS)]);
      if (reply === 'OK') break;
      await sleep(delay + Math.random() * delay, signal);
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
    // Renewed while held: a slow upstream call must not let the lock lapse under it.
    const renew = setInterval(() => {
      this.command(['EVAL', RENEW, '1', redisKey, token, String(LOCK_TTL_MS)]).catch(() => undefined);
    }, RENEW_EVERY_MS);
    renew.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      // If this fails the lock still frees itself after LOCK_TTL_MS.
      this.command(['EVAL', RELEASE, '1', redisKey, token]).catch((error: Error) =>
        this.options.logger.warn('could not release a confirmation lock; it expires by itself', { store: this.where, error: error.message }),
      );
    };
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close().catch(() => this.client.destroy());
    else this.client.destroy();
  }

  private async command<T>(args: string[]): Promise<T> {
    if (!this.client.isReady) {
      throw new StoreUnavailableError(`the confirmation store ${this.where} cannot be reached (${this.lastError})`);
    }
    try {
      return (await this.client.sendCommand(args)) as T;
    } catch (error) {
      throw new StoreUnavailableError(`the confirmation store ${this.where} cannot be reached (${(error as Error).message || (error as Error).name})`);
    }
  }
}

function withoutCredentials(raw: string): string {
  const url = new URL(raw);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/$/, '');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
