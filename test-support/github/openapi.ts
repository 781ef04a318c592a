// Checks requests and responses against GitHub's OpenAPI description (@octokit/openapi), translated for Ajv.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ajvModule from 'ajv';
import type { ValidateFunction, ErrorObject } from 'ajv';
import formatsModule from 'ajv-formats';

// ajv and ajv-formats are CommonJS: Node's ESM loader hands over module.exports, whose `.default` is the
// export itself; TypeScript (NodeNext) types the default import as that namespace.
const Ajv = ajvModule.default;
const addFormats = formatsModule.default;
type AjvInstance = InstanceType<typeof Ajv>;

const SPEC_ID = 'https://api.github.com/openapi.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Statuses GitHub answers on every route although many operations do not list them: 401 for a missing
 * token, 404 for a missing repository or object, 301/307 for a renamed repository, 5xx when it fails.
 * They are allowed everywhere; their bodies are still checked. An operation that documents one of them
 * without a body (team memberships' 404) still gets GitHub's JSON error body.
 */
const GLOBAL_STATUSES: Record<number, string> = {
  301: 'basic-error',
  307: 'basic-error',
  401: 'basic-error',
  404: 'basic-error',
  500: 'basic-error',
  502: 'basic-error',
  503: 'basic-error',
  504: 'basic-error',
};

/**
 * Top-level keys of the documented examples that GitHub sends only in states the emulator never models
 * (forks, templates, organisation owners, pull requests). Every other example key must be present.
 */
const CONDITIONAL_KEYS: Record<string, string[]> = {
  'repos/get': ['template_repository', 'organization', 'parent', 'source'],
  'issues/get': ['pull_request', 'pinned_comment'],
  'issues/update': ['pull_request', 'pinned_comment'],
  'issues/create': ['pull_request', 'pinned_comment'],
  'issues/list-for-repo': ['pull_request', 'pinned_comment'],
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  multiSegment: boolean;
  schema: JsonObject;
}

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  parameters: Parameter[];
  raw: JsonObject;
  pattern: RegExp;
  literalSegments: number;
}

export interface RouteMatch {
  operation: Operation;
  pathParams: Record<string, string>;
}

interface Loaded {
  spec: JsonObject;
  ajv: AjvInstance;
  routes: Map<string, Operation[]>;
  validators: Map<string, ValidateFunction>;
}

let loaded: Loaded | undefined;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Loads (once per process) only the api.github.com description; the package root would load every variant. */
function load(): Loaded {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, addUsedSchema: false });
  addFormats(ajv);
  // Formats OpenAPI uses for documentation only; Ajv would otherwise refuse to compile them.
  for (const name of ['int32', 'int64', 'double', 'float', 'binary', 'byte', 'timestamp', 'repo.nwo', 'password']) {
    ajv.addFormat(name, true);
  }
  const components = spec['components'] as JsonObject;
  const schemas = components['schemas'] as JsonObject;
  const translated: JsonObject = {};
  for (const [name, schema] of Object.entries(schemas)) translated[name] = translate(schema);
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: translated } });
  loaded = { spec, ajv, routes: buildRoutes(spec), validators: new Map() };
  return loaded;
}

/** Follows a local `#/...` reference inside the description. */
function deref(spec: JsonObject, node: Json | undefined): Json | undefined {
  let current = node;
  for (let hops = 0; isObject(current) && typeof current['$ref'] === 'string' && hops < 10; hops++) {
    const path = (current['$ref'] as string).replace(/^#\//, '').split('/');
    let target: Json | undefined = spec;
    for (const part of path) target = isObject(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    current = target;
  }
  return current;
}

/**
 * OpenAPI 3.0 schema → JSON Schema Ajv understands: `nullable` becomes a union with null, documentation-only
 * keys go, and refs point into the components document registered under SPEC_ID.
 */
function translate(node: Json): Json {
  if (!isObject(node)) return Array.isArray(node) ? node.map(translate) : node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'examples' || key === 'nullable' || key === 'discriminator') continue;
    if (key.startsWith('x-') || key === 'deprecated' || key === 'readOnly' || key === 'writeOnly') continue;
    if (key === '$ref' && typeof value === 'string') out[key] = `${SPEC_ID}${value}`;
    else if ((key === 'properties' || key === 'patternProperties') && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, translate(schema)]));
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') out[key] = translate(value);
    else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) out[key] = value.map(translate);
    else out[key] = value;
  }
  if (node['nullable'] === true) {
    if (typeof out['type'] === 'string' && out['$ref'] === undefined) {
      out['type'] = [out['type'], 'null'];
      if (Array.isArray(out['enum']) && !out['enum'].includes(null)) out['enum'] = [...out['enum'], null];
    } else return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function buildRoutes(spec: JsonObject): Map<string, Operation[]> {
  const routes = new Map<string, Operation[]>();
  for (const [template, item] of Object.entries(spec['paths'] as JsonObject)) {
    if (!isObject(item)) continue;
    for (const method of HTTP_METHODS) {
      const raw = item[method];
      if (!isObject(raw)) continue;
      const parameters = ((raw['parameters'] as Json[] | undefined) ?? []).map((p): Parameter => {
        const param = deref(spec, p) as JsonObject;
        return {
          name: param['name'] as string,
          in: param['in'] as string,
          required: param['required'] === true,
          multiSegment: param['x-multi-segment'] === true,
          schema: (param['schema'] as JsonObject | undefined) ?? {},
        };
      });
      const segments = template.split('/').filter(Boolean);
      const regex = segments
        .map((segment) =>
          segment.replace(/\{([^}]+)\}|([^{]+)/g, (_, name: string | undefined, literal: string | undefined) => {
            if (literal !== undefined) return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            return parameters.find((p) => p.name === name)?.multiSegment ? '(.+)' : '([^/]+)';
          }),
        )
        .join('/');
      const operation: Operation = {
        method: method.toUpperCase(),
        template,
        operationId: raw['operationId'] as string,
        parameters,
        raw,
        pattern: new RegExp(`^/${regex}$`),
        literalSegments: segments.filter((s) => !s.includes('{')).length,
      };
      const list = routes.get(operation.method) ?? [];
      list.push(operation);
      routes.set(operation.method, list);
    }
  }
  // The most specific template wins: `/issues/comments/{id}` before `/issues/{issue_number}`.
  for (const list of routes.values()) list.sort((a, b) => b.literalSegments - a.literalSegments);
  return routes;
}

/** The operation a request path belongs to, with its path parameters decoded. */
export function matchRoute(method: string, pathname: string): RouteMatch | undefined {
  const { routes } = load();
  for (const operation of routes.get(method.toUpperCase()) ?? []) {
    const match = operation.pattern.exec(pathname);
    if (!match) continue;
    const names = [...operation.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const pathParams: Record<string, string> = {};
    names.forEach((name, i) => {
      pathParams[name] = decodeURIComponent(match[i + 1]!);
    });
    return { operation, pathParams };
  }
  return undefined;
}

function validator(key: string, schema: () => Json): ValidateFunction {
  const state = load();
  const cached = state.validators.get(key);
  if (cached) return cached;
  const fn = state.ajv.compile(translate(schema()) as object);
  state.validators.set(key, fn);
  return fn;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
    .join('; ');
}

/** Query strings carry text: read it the way GitHub would for the parameter's declared type. */
function coerce(value: string, schema: JsonObject): Json {
  const type = schema['type'];
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  if (type === 'array') return value.split(',');
  return value;
}

/** Every way the request departs from the operation's parameters and request body. */
export function checkRequest(
  match: RouteMatch,
  query: URLSearchParams,
  body: unknown,
): string[] {
  const { operation, pathParams } = match;
  const where = `${operation.method} ${operation.template}`;
  const problems: string[] = [];
  for (const param of operation.parameters) {
    if (param.in !== 'path' && param.in !== 'query') continue;
    const value = param.in === 'path' ? pathParams[param.name] : query.get(param.name) ?? undefined;
    if (value === undefined) {
      if (param.required) problems.push(`${where}: missing required ${param.in} parameter ${param.name}`);
      continue;
    }
    const check = validator(`param ${operation.operationId} ${param.name}`, () => param.schema);
    if (!check(coerce(value, param.schema))) {
      problems.push(`${where}: ${param.in} parameter ${param.name}=${JSON.stringify(value)}: ${describe(check.errors)}`);
    }
  }
  const known = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of new Set(query.keys())) {
    if (!known.has(name)) problems.push(`${where}: unknown query parameter ${name}`);
  }
  const { spec } = load();
  const requestBody = deref(spec, operation.raw['requestBody']) as JsonObject | undefined;
  const content = requestBody?.['content'] as JsonObject | undefined;
  const schema = (content?.['application/json'] as JsonObject | undefined)?.['schema'] as JsonObject | undefined;
  if (body === undefined) {
    if (requestBody?.['required'] === true) problems.push(`${where}: missing required request body`);
  } else if (!schema) {
    problems.push(`${where}: the operation takes no JSON request body, got ${JSON.stringify(body).slice(0, 200)}`);
  } else {
    const check = validator(`body ${operation.operationId}`, () => {
      // GitHub silently ignores unknown fields; a test should not: a misspelt field is a bug in the client.
      if (schema['type'] === 'object' && isObject(schema['properties']) && schema['additionalProperties'] === undefined) {
        return { ...schema, additionalProperties: false };
      }
      return schema;
    });
    if (!check(body)) problems.push(`${where}: request body ${JSON.stringify(body).slice(0, 200)}: ${describe(check.errors)}`);
  }
  return problems;
}

function responseContent(operation: Operation, status: number): { schema?: Json; examples: Json[] } | 'undocumented' {
  const { spec } = load();
  const responses = operation.raw['responses'] as JsonObject;
  let response = deref(spec, responses[String(status)] ?? responses['default']) as JsonObject | undefined;
  if (!response) {
    const global = GLOBAL_STATUSES[status];
    if (!global) return 'undocumented';
    return { schema: { $ref: `#/components/schemas/${global}` }, examples: [] };
  }
  const content = response['content'] as JsonObject | undefined;
  if (!content) {
    const global = GLOBAL_STATUSES[status];
    return global ? { schema: { $ref: `#/components/schemas/${global}` }, examples: [] } : { examples: [] };
  }
  const media = (content['application/json'] ?? Object.values(content)[0]) as JsonObject;
  const examples = Object.values((media['examples'] as JsonObject | undefined) ?? {}).map((example) => {
    let value = deref(spec, example) as JsonObject;
    if (isObject(value['value']) && typeof value['value']['$ref'] === 'string') value = deref(spec, value['value']) as JsonObject;
    return value['value'] ?? null;
  });
  response = media;
  return { schema: response['schema'] ?? {}, examples };
}

/** Example keys the body lacks (top level, and one level into nested objects such as `user`). */
function missingKeys(example: Json, body: unknown, skip: string[]): string[] {
  const sample = Array.isArray(example) ? example[0] : example;
  const actual = Array.isArray(body) ? body[0] : body;
  if (!isObject(sample) || !isObject(actual)) return [];
  const missing: string[] = [];
  for (const [key, value] of Object.entries(sample)) {
    if (skip.includes(key)) continue;
    if (!(key in actual)) missing.push(key);
    else if (isObject(value) && isObject(actual[key])) {
      for (const inner of Object.keys(value)) if (!(inner in (actual[key] as JsonObject))) missing.push(`${key}.${inner}`);
    }
  }
  return missing;
}

/**
 * Every way a response departs from what the operation documents for its status. `injected`: a failure a
 * test asked for (403, 429, 5xx…), which GitHub may send on any route: an undocumented error status is
 * allowed, its body checked as GitHub's basic error.
 */
export function checkResponse(operation: Operation, status: number, body: unknown, options: { injected?: boolean } = {}): string[] {
  const where = `${operation.method} ${operation.template} → ${status}`;
  let content = responseContent(operation, status);
  if (content === 'undocumented' && options.injected && status >= 400) {
    content = { schema: { $ref: '#/components/schemas/basic-error' }, examples: [] };
  }
  if (content === 'undocumented') return [`${where}: status ${status} is not documented for ${operation.operationId}`];
  const problems: string[] = [];
  if (content.schema === undefined) {
    if (body !== undefined) problems.push(`${where}: documented without a body, but one was sent`);
    return problems;
  }
  if (body === undefined) return [`${where}: documented with a body, but none was sent`];
  const schema = content.schema;
  const check = validator(`response ${operation.operationId} ${status}`, () => schema);
  if (!check(body)) problems.push(`${where}: response body: ${describe(check.errors)}`);
  if (content.examples.length > 0) {
    // Several examples (a file or a directory, an issue with or without a pinned comment): the body must
    // carry every key of at least one of them.
    const skip = CONDITIONAL_KEYS[operation.operationId] ?? [];
    const candidates = content.examples
      .filter((example) => Array.isArray(example) === Array.isArray(body))
      .map((example) => missingKeys(example, body, skip));
    const best = candidates.sort((a, b) => a.length - b.length)[0];
    if (best && best.length > 0) problems.push(`${where}: missing properties GitHub sends: ${best.join(', ')}`);
  }
  return problems;
}

/** Loads the description and Ajv ahead of time (about a second), so the first request is not slow. */
export function warmUp(): void {
  load();
}
