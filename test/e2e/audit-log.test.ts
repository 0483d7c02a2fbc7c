import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { CLI, connectStdio, structured, text, type Connected } from '../connect.js';

const KEY = 'sk-admin-audit-test-4f1d2c3b';
let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 51 });
  dir = mkdtempSync(join(tmpdir(), 'oamcp-audit-'));
});
afterAll(() => sandbox.close());

const env = () => ({ OPENAI_ADMIN_KEY: KEY, OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_LOG_LEVEL: 'debug' });
const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('--audit-log', () => {
  let server: Connected;
  let file: string;
  const secrets: string[] = [];

  beforeAll(async () => {
    file = join(dir, 'audit.jsonl');
    server = await connectStdio(['--audit-log', file], env());
  });
  afterAll(() => server.close());

  it('writes one line per attempt, in order, for every outcome, with nothing secret in it', async () => {
    const project = [...sandbox.state.projects.values()].find((p) => p.status === 'active' && p.name === 'Atlas');
    const call = (name: string, args: Record<string, unknown>) => server.client.callTool({ name, arguments: args });

    await call('projects_list', {}); // reads are not audited
    const created = await call('projects_create', { name: 'Audited project' }); // request + result
    const createdId = structured<{ id: string }>(created).id;
    await call('projects_create', { name: 'Dry audited', dry_run: true }); // dry_run
    await call('projects_create', {}); // refused: invalid arguments
    const preview = await call('projects_archive', { project_id: createdId }); // preview
    await call('projects_archive', { project_id: createdId, confirm: 'forged.token' }); // refused
    await call('projects_archive', { project_id: createdId, confirm: structured<{ confirmation_token: string }>(preview).confirmation_token }); // request + result
    await call('projects_retrieve', { project_id: 'proj_missing' }); // read: not audited
    await call('projects_update', { project_id: 'proj_missing', name: 'x' }); // request + failed result (404)
    const account = await call('projects_service_accounts_create', { project_id: project?.id, name: 'audited-bot' });
    const accountKey = structured<{ api_key: { value: string } }>(account).api_key.value;
    secrets.push(accountKey);
    const adminKey = await call('admin_api_keys_create', { name: 'audited admin key' });
    secrets.push(structured<{ value: string }>(adminKey).value);

    const log = lines(file);
    expect(log.map((l) => [l.tool, l.phase, l.outcome])).toEqual([
      ['projects_create', 'request', 'sending'],
      ['projects_create', 'result', 'succeeded'],
      ['projects_create', 'final', 'dry_run'],
      ['projects_create', 'final', 'refused'],
      ['projects_archive', 'final', 'preview'],
      ['projects_archive', 'final', 'refused'],
      ['projects_archive', 'request', 'sending'],
      ['projects_archive', 'result', 'succeeded'],
      ['projects_update', 'request', 'sending'],
      ['projects_update', 'result', 'failed'],
      ['projects_service_accounts_create', 'request', 'sending'],
      ['projects_service_accounts_create', 'result', 'succeeded'],
      ['admin_api_keys_create', 'request', 'sending'],
      ['admin_api_keys_create', 'result', 'succeeded'],
    ]);
    // Over stdio every line names the caller as local, and there is no HTTP session.
    for (const line of log) expect([line.caller, line.session]).toEqual(['local', undefined]);
    for (const line of log) {
      expect(Date.parse(String(line.time))).not.toBeNaN();
      expect(line.effect).toMatch(/^(write|destructive)$/);
      expect(line.arguments).toBeTypeOf('object');
    }
    expect(log[0]?.attempt).toBe(log[1]?.attempt);
    expect(log[1]).toMatchObject({ status: 200, request_id: expect.stringMatching(/^req_/) });
    expect(log[5]?.decision).toMatch(/^token_refused: /);
    expect(log[6]).toMatchObject({ decision: 'token_accepted' });
    expect(log[7]).toMatchObject({ status: 200, decision: 'token_accepted' });
    expect(log[9]).toMatchObject({ status: 404, may_have_happened: false, request_id: expect.stringMatching(/^req_/) });
    expect(log[4]?.decision).toBe('token_issued');

    const raw = readFileSync(file, 'utf8');
    expect(raw).not.toContain(KEY);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      expect(raw).not.toContain(secret);
    }
    expect(raw).not.toContain(structured<{ confirmation_token: string }>(preview).confirmation_token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('never lets a one-time secret or the admin key reach stderr', () => {
    const stderr = server.stderr();
    expect(stderr).toContain('request'); // debug logging was on
    expect(stderr).not.toContain(KEY);
    for (const secret of secrets) expect(stderr).not.toContain(secret);
  });

  it('records a read-only refusal', async () => {
    const readOnlyFile = join(dir, 'read-only.jsonl');
    const ro = await connectStdio(['--read-only', '--audit-log', readOnlyFile], env());
    try {
      await ro.client.callTool({ name: 'groups_create', arguments: { name: 'nope' } });
    } finally {
      await ro.close();
    }
    expect(lines(readOnlyFile)).toEqual([expect.objectContaining({ tool: 'groups_create', outcome: 'refused', decision: 'read_only' })]);
  });
});

describe('failing closed', () => {
  it('refuses a write, and sends nothing, when the audit line cannot be written', async () => {
    // /dev/full accepts the open and fails every write (ENOSPC), even for root.
    const server = await connectStdio(['--audit-log', '/dev/full'], env());
    try {
      const before = sandbox.requests.length;
      const groups = sandbox.state.groups.size;
      const result = await server.client.callTool({ name: 'groups_create', arguments: { name: 'Never created' } });
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/audit log \/dev\/full could not be written \(ENOSPC\)/);
      expect(text(result)).toMatch(/Nothing was sent/);
      expect(sandbox.requests.length).toBe(before);
      expect(sandbox.state.groups.size).toBe(groups);
      const read = await server.client.callTool({ name: 'groups_list', arguments: {} });
      expect(read.isError).toBeFalsy();
    } finally {
      await server.close();
    }
  });

  it('will not start when the audit log cannot be opened', async () => {
    const result = await promisify(execFile)(process.execPath, [CLI, '--sandbox', '--audit-log', dir], { env: { PATH: process.env.PATH ?? '' } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string; message: string }) => ({ code: e.code, stderr: `${e.stderr}${e.message}` }),
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/--audit-log .* cannot be opened for appending: EISDIR/);
  });
});
