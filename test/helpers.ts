import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { AdminClient, ApiError, type ClientOptions } from '../src/client/index.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox/server.js';
import type { ProjectRecord, SandboxState } from '../src/sandbox/state.js';

export const TEST_ADMIN_KEY = 'sk-admin-test-0123456789abcdef';

/** A sandbox on 127.0.0.1 and a client for it, with quick retries so fault tests stay short. */
export async function sandboxWithClient(
  sandboxOptions: SandboxOptions = {},
  clientOptions: Partial<ClientOptions> = {},
): Promise<{ sandbox: Sandbox; client: AdminClient; close: () => Promise<void> }> {
  const sandbox = await startSandbox({ retryAfterMs: 20, ...sandboxOptions });
  const client = new AdminClient({
    apiKey: TEST_ADMIN_KEY,
    baseUrl: sandbox.url,
    backoff: { baseMs: 5, maxMs: 40 },
    ...clientOptions,
  });
  return {
    sandbox,
    client,
    close: async () => {
      await client.close();
      await sandbox.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One sandbox per test file

/**
 * Starts a sandbox and a client for the tests of one file: registers beforeAll/afterAll hooks in
 * the calling file and hands both to `receive` once started, e.g.
 * `const state = useSandbox({ seed: 7 }, (started) => ({ sandbox, client } = started))`.
 * Returns a reader of the sandbox's state, for use inside the tests (not before beforeAll ran).
 * The client does not retry (unless `clientOptions` says so), so every refusal reaches the test.
 */
export function useSandbox(
  sandboxOptions: SandboxOptions,
  receive: (started: { sandbox: Sandbox; client: AdminClient }) => void,
  clientOptions: Partial<ClientOptions> = {},
): () => SandboxState {
  let close: (() => Promise<void>) | undefined;
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    const started = await sandboxWithClient(sandboxOptions, { maxRetries: 0, ...clientOptions });
    close = started.close;
    sandbox = started.sandbox;
    receive(started);
  });
  afterAll(async () => {
    await close?.();
  });
  return () => {
    if (!sandbox) throw new Error('the sandbox state was read before the sandbox started (outside a test?)');
    return sandbox.state;
  };
}

/**
 * Starts one sandbox per options entry (all at once), runs `use` on them and closes them all,
 * whether `use` passes or throws. For seed-determinism tests that compare separate sandboxes.
 */
export async function withSandboxes<const O extends readonly SandboxOptions[], T>(
  options: O,
  use: (sandboxes: { -readonly [K in keyof O]: Sandbox }) => T | Promise<T>,
): Promise<T> {
  const sandboxes = await Promise.all(options.map((o) => startSandbox(o)));
  try {
    return await use(sandboxes as { -readonly [K in keyof O]: Sandbox });
  } finally {
    await Promise.all(sandboxes.map((s) => s.close()));
  }
}

// ---------------------------------------------------------------------------------------------
// Lists

/** A `cursor_id` list page: `first_id`, `last_id`, `has_more`. */
export interface List<T> {
  object: string;
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** A `cursor_next` list page: `has_more` and `next`. */
export interface NextList<T> {
  object: string;
  data: T[];
  has_more: boolean;
  next: string | null;
}

// ---------------------------------------------------------------------------------------------
// Refused requests

type Request = Promise<unknown> | (() => Promise<unknown>);

/**
 * Awaits a request that must fail and returns its ApiError. A request that succeeds fails the
 * test; any other error is rethrown. Takes the request's promise, or a function that starts it.
 */
export async function failure(request: Request): Promise<ApiError> {
  try {
    await (typeof request === 'function' ? request() : request);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

export interface ErrorChecks {
  /** The error `code` the refusal must carry; unchecked when undefined. */
  code?: string | undefined;
  /**
   * Reads what the refused request must leave alone (a `stateSnapshot`, a count, ...). It is read
   * before the request is processed and again after the refusal, and the two must be equal.
   */
  unchanged?: () => unknown;
}

/** Awaits a request that must fail with this status and param (null: none), and returns the error. */
export async function expectError(request: Request, status: number, param: string | null, checks: ErrorChecks = {}): Promise<ApiError> {
  const before = checks.unchanged?.();
  const error = await failure(request);
  expect(error.status).toBe(status);
  expect(error.param).toBe(param);
  if (checks.code !== undefined) expect(error.code).toBe(checks.code);
  if (checks.unchanged) expect(checks.unchanged()).toEqual(before);
  return error;
}

/**
 * `expectError` for a file whose refusals must all leave the same thing alone: returns
 * `refused(request, status, param, code?)`, which reads `unchanged` before and after each one.
 */
export function refusalsLeaving(unchanged: () => unknown): (request: Request, status: number, param: string | null, code?: string) => Promise<ApiError> {
  return (request, status, param, code) => expectError(request, status, param, { code, unchanged });
}

/**
 * Parts of the sandbox state as one JSON string, Maps as their entries and Sets as arrays (nested
 * ones too), to compare what a refused request left behind with what was there before.
 */
export function stateSnapshot(...parts: unknown[]): string {
  return JSON.stringify(parts, (_key, value: unknown) => (value instanceof Map ? [...value] : value instanceof Set ? [...value] : value));
}

// ---------------------------------------------------------------------------------------------
// Seeded projects

/** The projects in creation order; the first is the organization's default project. */
export const projectsIn = (state: SandboxState): ProjectRecord[] => [...state.projects.values()];

function pickProject(state: SandboxState, what: string, test: (p: ProjectRecord, index: number) => boolean): ProjectRecord {
  const project = projectsIn(state).find(test);
  if (!project) throw new Error(`the sandbox has no ${what}`);
  return project;
}

export const pickProjectNamed = (state: SandboxState, name: string) => pickProject(state, `project named ${name}`, (p) => p.name === name);
export const pickArchivedProject = (state: SandboxState) => pickProject(state, 'archived project', (p) => p.status === 'archived');
/** The first active project, which is the default project when that one is active. */
export const pickActiveProject = (state: SandboxState) => pickProject(state, 'active project', (p) => p.status === 'active');
/** The first active project other than the default one. */
export const pickActiveNonDefaultProject = (state: SandboxState) =>
  pickProject(state, 'active project besides the default one', (p, i) => i > 0 && p.status === 'active');

/**
 * A misbehaving upstream for the tests of one file: a node:http server on 127.0.0.1 (port 0) with
 * the given handler, started before them and closed (connections and all) after; `receive` gets
 * its `/v1` base URL.
 */
export function useUpstream(handler: RequestListener, receive: (baseUrl: string) => void): void {
  const server = createServer(handler);
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receive(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
}
