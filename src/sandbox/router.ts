import type { Method } from '../client/index.js';
import { invalid } from './errors.js';
import type { Body, QueryParams } from './params.js';
import type { SandboxState } from './state.js';

/** The API's methods, as the client names them. */
export type HttpMethod = Method;

export interface RouteContext {
  /** Path parameters, already URL-decoded. */
  params: Record<string, string>;
  query: QueryParams;
  body: Body;
  state: SandboxState;
}

export interface Route {
  method: HttpMethod;
  /** The path under /v1, in the API's template form: `/organization/projects/{project_id}`. */
  path: string;
  /** Returns the JSON body of a 200 answer, or throws a SandboxError. */
  handle(ctx: RouteContext): unknown;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

export type RouteMatch = { route: Route; params: Record<string, string> } | { allowed: HttpMethod[] } | null;

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    const compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { ...route, pattern: new RegExp(`^${source}$`), names };
    });
    // Literal segments win over parameters: POST /certificates/activate is not an update of certificate "activate".
    this.compiled = compiled.sort((a, b) => a.names.length - b.names.length);
  }

  get routes(): readonly Route[] {
    return this.compiled;
  }

  /** The route for this method and path, the methods allowed if only the path matches, or null. */
  match(method: string, path: string): RouteMatch {
    const allowed: HttpMethod[] = [];
    for (const route of this.compiled) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (const [i, name] of route.names.entries()) {
        const raw = m[i + 1] as string;
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          // Malformed percent-encoding (`%E0%A4%A`, a lone surrogate's bytes) is the client's mistake, not a 500.
          throw invalid(name, `The path parameter ${name} ('${raw.slice(0, 60)}') is not valid percent-encoded UTF-8.`, 'invalid_path');
        }
      }
      return { route, params };
    }
    return allowed.length > 0 ? { allowed } : null;
  }
}
