import { readFileSync } from 'node:fs';
import { UsageError } from '../../config.js';
import type { Effect, Toolset } from '../../../tools/define.js';
import { essential, lower, RIGHTS, type Allowance, type Grant } from './grant.js';
import type { Caller, Right } from './oauth.js';
import { TOOLSETS } from '../../../tools/define.js';
import { isProjectId } from '../../ids.js';

/*
 * The operator's policy file (`--policy FILE`, with OAuth): which people get which rights, toolsets
 * and projects, matched on the access token's groups claim, verified email or subject. It can only
 * narrow what the token's scopes allow, never widen it.
 *
 *   { "groups_claim": "groups",
 *     "rules": [
 *       { "groups": ["platform-admins"], "rights": "destructive" },
 *       { "groups": ["finance"], "rights": "read", "toolsets": ["reports", "usage"] },
 *       { "emails": ["dev@example.com"], "rights": "write", "projects": ["proj_abc123"], "scripts": false } ] }
 *
 * Each rule that matches a person is one allowance, used whole (see grant.ts): a person several
 * rules match may make any call one of them allows, never a call that only a mix of them would. A
 * person no rule matches gets nothing (403), so a new hire sees no admin tools until the operator
 * says so.
 */

export type { Grant } from './grant.js';

export interface PolicyRule {
  groups?: string[];
  emails?: string[];
  subs?: string[];
  /** The most this rule allows; absent, what the scopes allow. */
  rights?: Right;
  /** Absent: every toolset. */
  toolsets?: Toolset[];
  /** Absent: every project and the organization-wide tools. */
  projects?: string[];
  /** false: the people this rule matches may not run scripts (run_script) with what it gives them. */
  scripts?: boolean;
}

export interface Policy {
  /** The claim that lists a person's groups (Okta, Keycloak and Entra ID call it `groups`). */
  groupsClaim: string;
  rules: PolicyRule[];
  /** Which calls need a person's approval and who may give it (`--confirm-with approval`); empty: none. */
  approvals: ApprovalRule[];
}

/**
 * A call needs approval when it matches every selector the rule gives (effects, tools, toolsets);
 * an approver must match one of the rule's groups, emails or subjects, and with `distinct` may not
 * be the person who asked.
 */
export interface ApprovalRule {
  effects?: Effect[];
  tools?: string[];
  toolsets?: string[];
  approvers: { groups?: string[]; emails?: string[]; subs?: string[] };
  distinct: boolean;
}

/** A person as the approval page and the policy see them: subject, verified email, claims. */
export interface Person {
  sub: string;
  email?: string;
  emailVerified: boolean;
  claims: Record<string, unknown>;
}

export function loadPolicy(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--policy ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--policy ${path} is not JSON: ${(error as Error).message}.`);
  }
  return parsePolicy(raw, `--policy ${path}`);
}

/** Checks every field, naming the one that is wrong and what it should be. */
export function parsePolicy(raw: unknown, where: string): Policy {
  const fail = (field: string, problem: string): never => {
    throw new UsageError(`${where}: ${field} ${problem}. See the README, "Deploy for a team", for the format.`);
  };
  if (!isRecord(raw)) return fail('the file', 'must be a JSON object with a "rules" array');
  for (const key of Object.keys(raw)) if (key !== 'rules' && key !== 'groups_claim' && key !== 'approvals') fail(`"${key}"`, 'is not a policy field (expected "rules" and optionally "groups_claim" and "approvals")');
  const groupsClaim = raw.groups_claim ?? 'groups';
  if (typeof groupsClaim !== 'string' || groupsClaim === '') fail('"groups_claim"', 'must be a claim name such as "groups"');
  if (!Array.isArray(raw.rules) || raw.rules.length === 0) fail('"rules"', 'must be a non-empty array of rules');
  const rules = (raw.rules as unknown[]).map((rule, i): PolicyRule => {
    const at = `rules[${i}]`;
    if (!isRecord(rule)) return fail(at, 'must be an object');
    const known = ['groups', 'emails', 'subs', 'rights', 'toolsets', 'projects', 'scripts'];
    for (const key of Object.keys(rule)) if (!known.includes(key)) fail(`${at}.${key}`, `is not a rule field (expected ${known.join(', ')})`);
    const strings = (field: string): string[] | undefined => {
      const value = rule[field];
      if (value === undefined) return undefined;
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) fail(`${at}.${field}`, 'must be a non-empty array of non-empty strings');
      return value as string[];
    };
    const parsed: PolicyRule = {};
    const groups = strings('groups');
    const emails = strings('emails')?.map((e) => e.toLowerCase());
    const subs = strings('subs');
    if (!groups && !emails && !subs) fail(at, 'matches nobody: give it "groups", "emails" or "subs"');
    if (groups) parsed.groups = groups;
    if (emails) parsed.emails = emails;
    if (subs) parsed.subs = subs;
    if (rule.rights !== undefined) {
      if (!RIGHTS.includes(rule.rights as Right)) fail(`${at}.rights`, `must be one of ${RIGHTS.join(', ')}, got ${JSON.stringify(rule.rights)}`);
      parsed.rights = rule.rights as Right;
    }
    if (rule.scripts !== undefined) {
      if (typeof rule.scripts !== 'boolean') fail(`${at}.scripts`, `must be true or false, got ${JSON.stringify(rule.scripts)}`);
      parsed.scripts = rule.scripts as boolean;
    }
    const toolsets = strings('toolsets');
    if (toolsets) {
      for (const t of toolsets) if (!(TOOLSETS as readonly string[]).includes(t)) fail(`${at}.toolsets`, `names '${t}', which is not a toolset (expected ${TOOLSETS.join(', ')})`);
      parsed.toolsets = toolsets as Toolset[];
    }
    const projects = strings('projects');
    if (projects) {
      for (const p of projects) if (!isProjectId(p)) fail(`${at}.projects`, `names '${p}', which is not a project ID like proj_abc123`);
      parsed.projects = projects;
    }
    return parsed;
  });
  return { groupsClaim: groupsClaim as string, rules, approvals: parseApprovals(raw.approvals, fail) };
}

const EFFECTS: readonly Effect[] = ['read', 'write', 'destructive'];

function parseApprovals(raw: unknown, fail: (field: string, problem: string) => never): ApprovalRule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length === 0) return fail('"approvals"', 'must be a non-empty array of approval rules');
  return raw.map((rule, i): ApprovalRule => {
    const at = `approvals[${i}]`;
    if (!isRecord(rule)) return fail(at, 'must be an object');
    const known = ['effects', 'tools', 'toolsets', 'approvers', 'distinct'];
    for (const key of Object.keys(rule)) if (!known.includes(key)) fail(`${at}.${key}`, `is not an approval rule field (expected ${known.join(', ')})`);
    const strings = (value: unknown, field: string): string[] | undefined => {
      if (value === undefined) return undefined;
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) fail(field, 'must be a non-empty array of non-empty strings');
      return value as string[];
    };
    const effects = strings(rule.effects, `${at}.effects`);
    for (const e of effects ?? []) if (!(EFFECTS as readonly string[]).includes(e)) fail(`${at}.effects`, `names '${e}', which is not an effect (expected ${EFFECTS.join(', ')})`);
    const tools = strings(rule.tools, `${at}.tools`);
    const toolsets = strings(rule.toolsets, `${at}.toolsets`);
    for (const t of toolsets ?? []) if (!(TOOLSETS as readonly string[]).includes(t)) fail(`${at}.toolsets`, `names '${t}', which is not a toolset (expected ${TOOLSETS.join(', ')})`);
    if (!effects && !tools && !toolsets) fail(at, 'matches no call: give it "effects", "tools" or "toolsets"');
    const approvers = rule.approvers;
    if (!isRecord(approvers)) return fail(`${at}.approvers`, 'must be an object with "groups", "emails" or "subs"');
    for (const key of Object.keys(approvers)) if (!['groups', 'emails', 'subs'].includes(key)) fail(`${at}.approvers.${key}`, 'is not an approvers field (expected groups, emails, subs)');
    const groups = strings(approvers.groups, `${at}.approvers.groups`);
    const emails = strings(approvers.emails, `${at}.approvers.emails`)?.map((e) => e.toLowerCase());
    const subs = strings(approvers.subs, `${at}.approvers.subs`);
    if (!groups && !emails && !subs) fail(`${at}.approvers`, 'names nobody: give it "groups", "emails" or "subs"');
    if (rule.distinct !== undefined && typeof rule.distinct !== 'boolean') fail(`${at}.distinct`, `must be true or false, got ${JSON.stringify(rule.distinct)}`);
    return {
      ...(effects ? { effects: effects as Effect[] } : {}),
      ...(tools ? { tools } : {}),
      ...(toolsets ? { toolsets } : {}),
      approvers: { ...(groups ? { groups } : {}), ...(emails ? { emails } : {}), ...(subs ? { subs } : {}) },
      distinct: rule.distinct === true,
    };
  });
}

/** The approval rules a call matches: every selector a rule gives must hold. Empty: no approval needed. */
export function approvalRulesFor(policy: Policy | undefined, tool: { name: string; effect: Effect; toolset: string }): ApprovalRule[] {
  return (policy?.approvals ?? []).filter(
    (r) => (!r.effects || r.effects.includes(tool.effect)) && (!r.tools || r.tools.includes(tool.name)) && (!r.toolsets || r.toolsets.includes(tool.toolset)),
  );
}

/**
 * Why this person may not approve a call the rules cover, asked by `requester`, or undefined when
 * they may: every matching rule must admit them, and a `distinct` rule refuses the requester.
 */
export function approverRefusal(policy: Policy, rules: readonly ApprovalRule[], approver: Person, requester: { sub: string; email?: string }): string | undefined {
  const groups = new Set(claimStrings(approver.claims[policy.groupsClaim]));
  const email = approver.email && approver.emailVerified ? approver.email.toLowerCase() : undefined;
  for (const rule of rules) {
    const a = rule.approvers;
    const admitted = a.groups?.some((g) => groups.has(g)) || (email !== undefined && a.emails?.includes(email)) || a.subs?.includes(approver.sub);
    if (!admitted) return `you (${email ?? `subject ${approver.sub}`}) are not among the approvers the operator's policy names for this call`;
    const same = approver.sub === requester.sub || (email !== undefined && requester.email?.toLowerCase() === email);
    if (rule.distinct && same) return 'the policy requires a second person (distinct: true), and you asked for this call yourself';
  }
  return undefined;
}

/** What this caller may do, or undefined when the policy grants them nothing. */
export function grantFor(caller: Caller, policy: Policy | undefined): Grant | undefined {
  const scopeSource = `your access token's scopes (${caller.right === 'read' ? 'admin:read' : caller.right === 'write' ? 'admin:write' : 'admin:destructive'})`;
  if (!policy) return { allowances: [{ right: caller.right }], source: scopeSource };
  const groups = new Set(claimStrings(caller.claims[policy.groupsClaim]));
  const email = caller.email && caller.emailVerified ? caller.email.toLowerCase() : undefined;
  const matched = policy.rules.filter(
    (r) => r.groups?.some((g) => groups.has(g)) || (email !== undefined && r.emails?.includes(email)) || r.subs?.includes(caller.sub),
  );
  if (matched.length === 0) return undefined;
  const allowances = matched.map(
    (r): Allowance => ({
      right: lower(caller.right, r.rights ?? 'destructive'),
      ...(r.toolsets ? { toolsets: new Set(r.toolsets) } : {}),
      ...(r.projects ? { projects: new Set(r.projects) } : {}),
      ...(r.scripts === false ? { scripts: false as const } : {}),
    }),
  );
  return { allowances: essential(allowances), source: `${scopeSource} and the operator's policy` };
}

/** A groups claim as strings: an array, or one string (some providers send a single group that way). */
function claimStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
