import { UnsafePathError } from './errors.js';

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[] | { readonly [key: string]: string | number | undefined };
export type Query = Readonly<Record<string, QueryValue>>;

/**
 * Serializes a query the way the official SDKs do: arrays in bracket form (`ids[]=a&ids[]=b`) and
 * objects as deep objects (`effective_at[gte]=1`). Undefined and null values are left out.
 */
export function serializeQuery(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  const add = (key: string, value: string | number | boolean) => {
    parts.push(`${encodeKey(key)}=${encodeURIComponent(String(value))}`);
  };
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) add(`${key}[]`, item);
    } else if (typeof value === 'object') {
      for (const [sub, item] of Object.entries(value)) if (item !== undefined) add(`${key}[${sub}]`, item);
    } else {
      add(key, value as string | number | boolean);
    }
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Brackets stay readable in the query, as the SDKs send them. */
function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%5B/g, '[').replace(/%5D/g, ']');
}

/** Fills `{name}` segments of a path template, URL-encoding each value; refuses values that would leave the endpoint. */
export function buildPath(template: string, params: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined || value === null || value === '') throw new UnsafePathError(template, name, `the path parameter '${name}' is missing`);
    const text = String(value);
    if (LONE_SURROGATE.test(text)) throw new UnsafePathError(template, name, `the path parameter '${name}' holds a lone surrogate, which cannot be URL-encoded`);
    const segment = encodeURIComponent(text);
    if (hasDotSegment(segment)) throw new UnsafePathError(template, name, `the path parameter '${name}' is a dot segment ('.' or '..', maybe percent-encoded), which would address another endpoint`);
    return segment;
  });
}

const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * Whether a path (or one segment of it) has a `.` or `..` segment in any form a server or gateway may
 * resolve: literal, percent-encoded (`%2e`, `%2E`), encoded more than once (`%252e`), or behind an
 * encoded separator (`%2f..`, `%5c..`, since some servers decode those, and read `\` as `/`).
 */
export function hasDotSegment(path: string): boolean {
  const bare = path.split(/[?#]/, 1)[0] as string;
  for (const segment of bare.split('/')) {
    let decoded = segment;
    // Each round undoes one level of percent-encoding; eight is more than any chain of gateways decodes.
    for (let round = 0; round < 8; round++) {
      const next = decoded.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      if (next === decoded) break;
      decoded = next;
    }
    if (decoded.split(/[\\/]/).some((part) => part === '.' || part === '..')) return true;
  }
  return false;
}
