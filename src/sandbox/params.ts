import { invalid } from './errors.js';

/** Reads and validates query parameters the way the API does, answering 400 with `param` set. */
export class QueryParams {
  constructor(private readonly search: URLSearchParams) {}

  has(name: string): boolean {
    return this.search.has(name) || this.search.has(`${name}[]`);
  }

  string(name: string, opts: { required?: boolean } = {}): string | undefined {
    const value = this.search.get(name);
    if (value === null || value === '') {
      if (opts.required) throw invalid(name, `Missing required parameter: '${name}'.`);
      return undefined;
    }
    return value;
  }

  int(name: string, opts: { min?: number; max?: number; default?: number; required?: boolean } = {}): number | undefined {
    const raw = this.string(name, { required: opts.required });
    if (raw === undefined) return opts.default;
    if (!/^-?\d+$/.test(raw)) throw invalid(name, `Invalid '${name}': expected an integer, got '${raw}'.`);
    const value = Number(raw);
    checkRange(name, value, opts.min, opts.max);
    return value;
  }

  enum<T extends string>(name: string, values: readonly T[], fallback?: T): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!(values as readonly string[]).includes(raw)) {
      throw invalid(name, `Invalid '${name}': expected one of ${values.map((v) => `'${v}'`).join(', ')}, got '${raw}'.`);
    }
    return raw as T;
  }

  /** Accepts both the bracket form (`ids[]=a&ids[]=b`) and the repeated form (`ids=a&ids=b`). */
  array(name: string): string[] | undefined {
    const values = [...this.search.getAll(`${name}[]`), ...this.search.getAll(name)].filter((v) => v !== '');
    return values.length > 0 ? values : undefined;
  }

  enumArray<T extends string>(name: string, values: readonly T[]): T[] | undefined {
    const raw = this.array(name);
    if (raw === undefined) return undefined;
    for (const item of raw) {
      if (!(values as readonly string[]).includes(item)) {
        throw invalid(name, `Invalid '${name}': '${item}' is not one of ${values.map((v) => `'${v}'`).join(', ')}.`);
      }
    }
    return raw as T[];
  }

  bool(name: string): boolean | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    throw invalid(name, `Invalid '${name}': expected true or false, got '${raw}'.`);
  }
}

/** Reads and validates a JSON request body. Nested objects report dotted params (`notification_channel.type`). */
export class Body {
  private readonly fields: Record<string, unknown>;

  constructor(
    raw: unknown,
    private readonly prefix = '',
  ) {
    if (raw === undefined || raw === null) this.fields = {};
    else if (typeof raw === 'object' && !Array.isArray(raw)) this.fields = raw as Record<string, unknown>;
    else throw invalid(prefix || null, `Invalid body${prefix ? ` for '${prefix}'` : ''}: expected a JSON object.`);
  }

  private param(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  has(name: string): boolean {
    return this.fields[name] !== undefined;
  }

  /** True when the field is present and explicitly null. */
  isNull(name: string): boolean {
    return this.fields[name] === null;
  }

  keys(): string[] {
    return Object.keys(this.fields).filter((k) => this.fields[k] !== undefined);
  }

  raw(name: string): unknown {
    return this.fields[name];
  }

  string(name: string, opts: { required?: boolean; maxLength?: number; minLength?: number; nullable?: boolean } = {}): string | undefined {
    const value = this.present(name, opts.required, opts.nullable);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw invalid(this.param(name), `Invalid '${this.param(name)}': expected a string.`);
    if (opts.minLength !== undefined && value.length < opts.minLength) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': must be at least ${opts.minLength} characters.`);
    }
    if (opts.maxLength !== undefined && value.length > opts.maxLength) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': must be at most ${opts.maxLength} characters.`);
    }
    return value;
  }

  int(name: string, opts: { required?: boolean; min?: number; max?: number; nullable?: boolean } = {}): number | undefined {
    const value = this.present(name, opts.required, opts.nullable);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': expected an integer.`);
    }
    checkRange(this.param(name), value, opts.min, opts.max);
    return value;
  }

  number(name: string, opts: { required?: boolean; min?: number; max?: number; nullable?: boolean } = {}): number | undefined {
    const value = this.present(name, opts.required, opts.nullable);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': expected a number.`);
    }
    checkRange(this.param(name), value, opts.min, opts.max);
    return value;
  }

  bool(name: string, opts: { required?: boolean; nullable?: boolean } = {}): boolean | undefined {
    const value = this.present(name, opts.required, opts.nullable);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw invalid(this.param(name), `Invalid '${this.param(name)}': expected a boolean.`);
    return value;
  }

  enum<T extends string>(name: string, values: readonly T[], opts: { required?: boolean; nullable?: boolean } = {}): T | undefined {
    const value = this.present(name, opts.required, opts.nullable);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      throw invalid(
        this.param(name),
        `Invalid '${this.param(name)}': expected one of ${values.map((v) => `'${v}'`).join(', ')}, got ${JSON.stringify(value)}.`,
      );
    }
    return value as T;
  }

  stringArray(name: string, opts: { required?: boolean; minItems?: number; maxItems?: number; nullable?: boolean } = {}): string[] | undefined {
    const value = this.present(name, opts.required, opts.nullable);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': expected an array of strings.`);
    }
    if (opts.minItems !== undefined && value.length < opts.minItems) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': expected at least ${opts.minItems} item(s).`);
    }
    if (opts.maxItems !== undefined && value.length > opts.maxItems) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': expected at most ${opts.maxItems} item(s), got ${value.length}.`);
    }
    return value as string[];
  }

  object(name: string, opts: { required?: boolean; nullable?: boolean } = {}): Body | undefined {
    const value = this.present(name, opts.required, opts.nullable);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': expected an object.`);
    }
    return new Body(value, this.param(name));
  }

  /** Objects in an array, each validated by the caller. */
  objectArray(name: string, opts: { required?: boolean; minItems?: number; maxItems?: number } = {}): Body[] | undefined {
    const value = this.present(name, opts.required, false);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw invalid(this.param(name), `Invalid '${this.param(name)}': expected an array.`);
    if (opts.minItems !== undefined && value.length < opts.minItems) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': expected at least ${opts.minItems} item(s).`);
    }
    if (opts.maxItems !== undefined && value.length > opts.maxItems) {
      throw invalid(this.param(name), `Invalid '${this.param(name)}': expected at most ${opts.maxItems} item(s).`);
    }
    return value.map((item, i) => new Body(item, `${this.param(name)}[${i}]`));
  }

  /** Rejects any field not in `allowed`, as the API does for unknown body parameters. */
  only(allowed: readonly string[]): void {
    for (const key of this.keys()) {
      if (!allowed.includes(key)) throw invalid(this.param(key), `Unrecognized request argument supplied: ${this.param(key)}`);
    }
  }

  private present(name: string, required = false, nullable = false): unknown {
    const value = this.fields[name];
    if (value === undefined || (value === null && nullable)) {
      if (required) throw invalid(this.param(name), `Missing required parameter: '${this.param(name)}'.`);
      return undefined;
    }
    if (value === null) throw invalid(this.param(name), `Invalid '${this.param(name)}': must not be null.`);
    return value;
  }
}

function checkRange(param: string, value: number, min?: number, max?: number): void {
  if (min !== undefined && value < min) throw invalid(param, `Invalid '${param}': ${value} is less than the minimum of ${min}.`);
  if (max !== undefined && value > max) throw invalid(param, `Invalid '${param}': ${value} is greater than the maximum of ${max}.`);
}
