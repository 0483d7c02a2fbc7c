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

/** Fills `{name}` segments of a path template, URL-encoding each value. */
export function buildPath(template: string, params: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined || value === null || value === '') throw new Error(`Missing path parameter '${name}' for ${template}`);
    return encodeURIComponent(String(value));
  });
}
