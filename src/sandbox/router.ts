import type { Body, QueryParams } from './params.js';
import type { SandboxState } from './state.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

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
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] as string);
      });
      return { route, params };
    }
    return allowed.length > 0 ? { allowed } : null;
  }
}
