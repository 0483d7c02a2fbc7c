import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import OpenAI from 'openai';
import ts from 'typescript';

/*
 * The pinned `openai` SDK as the reference for the Admin API. Two views of it, checked against
 * each other:
 *
 * - at run time, every method under `client.admin` is called with placeholder arguments through a
 *   recording `fetch` (no network), which gives its HTTP method, its path template and where each
 *   field it sends goes (path, query or body);
 * - in its `.d.ts` files, read with the TypeScript compiler API, each method's parameters and the
 *   fields its Params types declare, with their types and optionality.
 *
 * The placeholders come from the declared types, so every declared field is sent and its place on
 * the wire is observed rather than guessed.
 */

export interface SdkField {
  name: string;
  /** Optional in the Params type (in every variant, for a union of Params). */
  optional: boolean;
  /** The declared type as TypeScript prints it, e.g. `'asc' | 'desc'`. */
  type: string;
  /** An array (the SDK sends `name[]=…` in a query). */
  array: boolean;
  /** The string literals the type allows (of its items, for an array), when it is an enum. */
  values?: string[];
}

export interface SdkOperation {
  /** The method under `client.admin.organization`, e.g. `projects.apiKeys.update`. */
  label: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** The path under the base URL with `{name}` placeholders, e.g. `/organization/projects/{project_id}`. */
  path: string;
  /** `METHOD path`, as the endpoints resource gives a tool's. */
  endpoint: string;
  pathParams: string[];
  query: SdkField[];
  body: SdkField[];
  /** The arguments that make the SDK send this request: placeholder IDs and typed placeholder fields. */
  args: unknown[];
}

// ---------------------------------------------------------------------------------------------
// Names

/** `apiKeyID` → `api_key_id`, `workloadIdentityProviderID` → `workload_identity_provider_id`. */
export function snakeCase(name: string): string {
  return name
    .replace(/ID$/, 'Id')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

const placeholder = (name: string) => `ph-${name}`;

/** The field name in a query key: `group_by[]` → `group_by`, `effective_at[gt]` → `effective_at`. */
const queryField = (key: string) => key.replace(/\[.*$/, '');

// ---------------------------------------------------------------------------------------------
// The .d.ts view

interface DeclaredParameter {
  name: string;
  /** A path ID passed positionally (a `string` parameter). */
  positional: boolean;
  /** The fields of its Params type(s), for an object parameter. */
  fields: DeclaredField[];
}

interface DeclaredField extends SdkField {
  sample: unknown;
}

interface DeclaredMethod {
  label: string;
  parameters: DeclaredParameter[];
}

const require = createRequire(import.meta.url);
const sdkRoot = dirname(require.resolve('openai'));

/** Every method the `.d.ts` files declare under `Admin`, keyed by label. */
function declaredMethods(): Map<string, DeclaredMethod> {
  const entry = join(sdkRoot, 'resources/admin/admin.d.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    lib: ['lib.es2022.d.ts'],
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  // The admin Params types need only the admin resources and the SDK's core. The client class
  // (which pulls in every other resource) and Node's and undici's typings are read as empty
  // modules: that halves the time to build the program, and nothing admin depends on them.
  const host = ts.createCompilerHost(options);
  const readSource = host.getSourceFile.bind(host);
  host.getSourceFile = (file, languageVersion, ...rest) =>
    /[/\\]openai[/\\]client\.d\.ts$|[/\\]node_modules[/\\](@types|undici)/.test(file)
      ? ts.createSourceFile(file, 'export declare class OpenAI {}\nexport default OpenAI;\n', languageVersion)
      : readSource(file, languageVersion, ...rest);
  const program = ts.createProgram([entry], options, host);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (!source) throw new Error(`Cannot read ${entry}`);
  const adminClass = source.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === 'Admin');
  if (!adminClass?.name) throw new Error(`No class Admin in ${entry}`);
  const adminType = checker.getTypeAtLocation(adminClass.name);

  const methods = new Map<string, DeclaredMethod>();
  const walk = (type: ts.Type, path: string[], depth: number): void => {
    if (depth > 6) throw new Error(`SDK resource tree deeper than expected at ${path.join('.')}`);
    for (const prop of checker.getPropertiesOfType(type)) {
      const name = prop.getName();
      if (name.startsWith('_')) continue;
      const decl = prop.declarations?.[0];
      if (!decl) continue;
      if (ts.isMethodDeclaration(decl)) {
        const label = labelOf([...path, name]);
        methods.set(label, { label, parameters: decl.parameters.filter((p) => p.name.getText() !== 'options').map((p) => declaredParameter(checker, p)) });
      } else if (ts.isPropertyDeclaration(decl)) {
        walk(checker.getTypeOfSymbolAtLocation(prop, decl), [...path, name], depth + 1);
      }
    }
  };
  walk(adminType, [], 0);
  return methods;
}

function declaredParameter(checker: ts.TypeChecker, param: ts.ParameterDeclaration): DeclaredParameter {
  const name = param.name.getText();
  const type = checker.getTypeAtLocation(param);
  if (checker.getNonNullableType(type).flags & ts.TypeFlags.String) return { name, positional: true, fields: [] };
  // The fields are those of the `…Params` types the parameter names; the rest of its type only
  // forbids request options (`{ method?: never, … }`).
  const refs: ts.TypeReferenceNode[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isTypeReferenceNode(node) && /Params$/.test(node.typeName.getText())) refs.push(node);
    ts.forEachChild(node, visit);
  };
  if (param.type) visit(param.type);
  if (refs.length === 0) throw new Error(`Parameter ${name} (${param.type?.getText() ?? '?'}) names no Params type`);
  const fields = new Map<string, DeclaredField>();
  for (const ref of refs) for (const field of paramsFields(checker, checker.getTypeFromTypeNode(ref))) fields.set(field.name, field);
  return { name, positional: false, fields: [...fields.values()] };
}

/** The fields of a Params type; for a union of variants, every variant's fields. */
function paramsFields(checker: ts.TypeChecker, type: ts.Type): DeclaredField[] {
  const variants = type.isUnion() ? type.types : [type];
  const byName = new Map<string, DeclaredField>();
  const seenIn = new Map<string, number>();
  for (const variant of variants) {
    for (const prop of checker.getPropertiesOfType(variant)) {
      const decl = prop.valueDeclaration ?? prop.declarations?.[0];
      if (!decl) continue;
      const propType = checker.getTypeOfSymbolAtLocation(prop, decl);
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      const name = prop.getName();
      seenIn.set(name, (seenIn.get(name) ?? 0) + (optional ? 0 : 1));
      const known = byName.get(name);
      if (known) {
        // A field every variant has (a union's discriminator, say) allows what any variant allows.
        const concrete = checker.getNonNullableType(propType);
        const more = literalValues(checker, known.array ? (checker.getTypeArguments(concrete as ts.TypeReference)[0] as ts.Type) : concrete);
        if (known.values && more) known.values = [...new Set([...known.values, ...more])];
      } else {
        const concrete = checker.getNonNullableType(propType);
        const array = checker.isArrayType(concrete);
        const values = literalValues(checker, array ? (checker.getTypeArguments(concrete as ts.TypeReference)[0] as ts.Type) : concrete);
        byName.set(name, {
          name,
          optional,
          type: checker.typeToString(concrete, undefined, ts.TypeFormatFlags.NoTruncation),
          array,
          ...(values ? { values } : {}),
          sample: sample(checker, propType, name, 0),
        });
      }
    }
  }
  // Required only when every variant requires it.
  for (const field of byName.values()) field.optional = (seenIn.get(field.name) ?? 0) < variants.length;
  return [...byName.values()];
}

/** The string literals of an enum type (`'a' | 'b'`, an alias of one, or a single literal). */
function literalValues(checker: ts.TypeChecker, type: ts.Type): string[] | undefined {
  const concrete = checker.getNonNullableType(type);
  const members = concrete.isUnion() ? concrete.types : [concrete];
  if (!members.every((t) => t.isStringLiteral())) return undefined;
  return members.map((t) => (t as ts.StringLiteralType).value);
}

/** A value of the declared type: the first literal of an enum, a placeholder string, 1, true, one-item arrays. */
function sample(checker: ts.TypeChecker, type: ts.Type, name: string, depth: number): unknown {
  if (depth > 5) return {};
  const concrete = checker.getNonNullableType(type);
  if (concrete.isUnion()) {
    const options = concrete.types;
    if (options.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return true;
    return sample(checker, options[0] as ts.Type, name, depth);
  }
  if (concrete.isStringLiteral() || concrete.isNumberLiteral()) return concrete.value;
  if (concrete.flags & ts.TypeFlags.BooleanLiteral) return checker.typeToString(concrete) === 'true';
  if (concrete.flags & ts.TypeFlags.StringLike) return placeholder(name);
  if (concrete.flags & ts.TypeFlags.NumberLike) return 1;
  if (concrete.flags & ts.TypeFlags.BooleanLike) return true;
  if (checker.isArrayType(concrete) || checker.isTupleType(concrete)) {
    const [item] = checker.getTypeArguments(concrete as ts.TypeReference);
    return item ? [sample(checker, item, name, depth + 1)] : [];
  }
  if (concrete.flags & ts.TypeFlags.Object) {
    const out: Record<string, unknown> = {};
    for (const prop of checker.getPropertiesOfType(concrete)) {
      const decl = prop.valueDeclaration ?? prop.declarations?.[0];
      if (decl) out[prop.getName()] = sample(checker, checker.getTypeOfSymbolAtLocation(prop, decl), prop.getName(), depth + 1);
    }
    return out;
  }
  return placeholder(name);
}

const labelOf = (path: string[]) => (path[0] === 'organization' ? path.slice(1) : path).join('.');

// ---------------------------------------------------------------------------------------------
// The run-time view

type Resource = Record<string, unknown>;

/** Every method under `client.admin`, found by walking the resource objects. */
export function runtimeMethods(client: OpenAI): Array<{ label: string; call: (args: unknown[]) => Promise<unknown> }> {
  const found: Array<{ label: string; call: (args: unknown[]) => Promise<unknown> }> = [];
  const walk = (resource: Resource, path: string[]): void => {
    for (const [key, value] of Object.entries(resource)) {
      if (key.startsWith('_')) continue;
      if (value !== null && typeof value === 'object' && '_client' in value) walk(value as Resource, [...path, key]);
    }
    const proto = Object.getPrototypeOf(resource) as Resource;
    for (const key of Object.getOwnPropertyNames(proto)) {
      const method = proto[key];
      if (key === 'constructor' || key.startsWith('_') || typeof method !== 'function') continue;
      found.push({ label: labelOf([...path, key]), call: (args) => Promise.resolve(method.apply(resource, args) as unknown) });
    }
  };
  walk(client.admin as unknown as Resource, []);
  return found;
}

interface Recorded {
  method: string;
  url: URL;
  body: unknown;
}

const RECORD_BASE = 'http://sdk.invalid/v1';

/**
 * The SDK's admin operations: each method called once with placeholders through a recording fetch,
 * and read back into METHOD, path template and field placement. Throws when the two views disagree.
 */
export async function sdkOperations(): Promise<SdkOperation[]> {
  const declared = declaredMethods();
  const recorded: Recorded[] = [];
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const text = typeof init?.body === 'string' ? init.body : undefined;
    recorded.push({ method: init?.method ?? 'GET', url: new URL(String(input)), body: text === undefined ? undefined : (JSON.parse(text) as unknown) });
    return new Response(JSON.stringify({ object: 'list', data: [], has_more: false }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const client = sdkClient({ baseURL: RECORD_BASE, fetch: recordingFetch });
  const runtime = runtimeMethods(client);

  const runtimeLabels = runtime.map((m) => m.label).sort();
  const declaredLabels = [...declared.keys()].sort();
  if (runtimeLabels.join() !== declaredLabels.join()) {
    throw new Error(
      `The SDK's run-time methods and its .d.ts disagree: only at run time ${JSON.stringify(runtimeLabels.filter((l) => !declared.has(l)))}, only in the types ${JSON.stringify(declaredLabels.filter((l) => !runtimeLabels.includes(l)))}`,
    );
  }

  const operations: SdkOperation[] = [];
  for (const { label, call } of runtime) {
    const method = declared.get(label) as DeclaredMethod;
    const args = method.parameters.map((p) =>
      p.positional ? placeholder(snakeCase(p.name)) : Object.fromEntries(p.fields.map((f) => [f.name, f.sample])),
    );
    const before = recorded.length;
    await call(args);
    if (recorded.length !== before + 1) throw new Error(`${label} sent ${recorded.length - before} requests, expected 1`);
    operations.push(readBack(label, method, args, recorded[before] as Recorded));
  }
  return operations;
}

function readBack(label: string, method: DeclaredMethod, args: unknown[], request: Recorded): SdkOperation {
  if (!request.url.pathname.startsWith('/v1/')) throw new Error(`${label}: unexpected URL ${request.url.href}`);
  const byPlaceholder = new Map<string, string>();
  for (const p of method.parameters) {
    if (p.positional) byPlaceholder.set(placeholder(snakeCase(p.name)), snakeCase(p.name));
    for (const f of p.fields) if (typeof f.sample === 'string') byPlaceholder.set(f.sample, f.name);
  }
  const pathParams: string[] = [];
  const path = request.url.pathname
    .slice(3)
    .split('/')
    .map((segment) => {
      const name = byPlaceholder.get(decodeURIComponent(segment));
      if (name === undefined) return segment;
      pathParams.push(name);
      return `{${name}}`;
    })
    .join('/');
  const queryNames = new Set([...request.url.searchParams.keys()].map(queryField));
  const bodyNames = new Set(request.body !== null && typeof request.body === 'object' ? Object.keys(request.body) : []);

  const fields = method.parameters.flatMap((p) => p.fields);
  const query: SdkField[] = [];
  const body: SdkField[] = [];
  for (const field of fields) {
    const places = [pathParams.includes(field.name), queryNames.has(field.name), bodyNames.has(field.name)].filter(Boolean).length;
    if (places !== 1) throw new Error(`${label}: the SDK sent field '${field.name}' in ${places} places (path, query, body)`);
    const { sample: _sample, ...fact } = field;
    if (queryNames.has(field.name)) query.push(fact);
    else if (bodyNames.has(field.name)) body.push(fact);
  }
  const undeclared = [...queryNames, ...bodyNames].filter((n) => !fields.some((f) => f.name === n));
  if (undeclared.length > 0) throw new Error(`${label}: the SDK sent fields its Params types do not declare: ${undeclared.join(', ')}`);
  if (!['GET', 'POST', 'DELETE'].includes(request.method)) throw new Error(`${label}: unexpected HTTP method ${request.method}`);
  const httpMethod = request.method as SdkOperation['method'];
  return { label, method: httpMethod, path, endpoint: `${httpMethod} ${path}`, pathParams, query, body, args };
}

/** An SDK client with an admin key, no retries and nothing taken from the environment. */
export function sdkClient(options: { baseURL: string; fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response> }): OpenAI {
  return new OpenAI({
    adminAPIKey: 'sk-admin-sdk-drift-0123456789',
    apiKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    baseURL: options.baseURL,
    maxRetries: 0,
    timeout: 10_000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** The version of the SDK these facts come from. */
export const sdkVersion = (JSON.parse(readFileSync(join(sdkRoot, 'package.json'), 'utf8')) as { version: string }).version;
