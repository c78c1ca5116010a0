/**
 * Checks every answer of a test cloud against the OpenAPI document it serves: `watchResponses` wraps the
 * app's `request` (which every test helper goes through), finds the documented operation of each
 * request, and records a mismatch when the status is not documented for it, the content type is not
 * one it documents, or the body fails the documented schema (Ajv, JSON Schema 2020-12 as OpenAPI 3.1
 * uses it, with ajv-formats for uuid, date-time, ...). It also checks that a request answered 2xx
 * matched the documented request body, so a document stricter than the server shows up too.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import type { TestCloud } from './cloud';

// ajv-formats is CommonJS with `exports.default`; under Node's ESM interop the function may sit one level down.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ??
  addFormatsImport) as unknown as (ajv: Ajv2020) => void;

type Json = Record<string, unknown>;
interface MediaType {
  schema?: Json;
}
interface Operation {
  responses: Record<string, { content?: Record<string, MediaType> }>;
  requestBody?: { content: Record<string, MediaType> };
}

export interface Conformance {
  /** Operation key (`POST /api/v1/venues`) → the statuses it answered while watched. */
  exercised: Map<string, Set<number>>;
  /** Every answer that did not match the document, as a readable line. */
  mismatches: string[];
  /** Every documented operation key. */
  operations: string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const DOCUMENT_ID = 'urn:gate-validation:openapi';

interface PathShape {
  template: string;
  pattern: RegExp;
}

function pathShapes(document: Json): PathShape[] {
  return Object.keys(document['paths'] as Json).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`),
  }));
}

/** The decoded body text of an answer (manifest pages come compressed). */
async function bodyText(response: Response): Promise<string> {
  const raw = Buffer.from(await response.arrayBuffer());
  const encoding = response.headers.get('content-encoding');
  if (encoding === 'br') return brotliDecompressSync(raw).toString('utf8');
  if (encoding === 'gzip') return gunzipSync(raw).toString('utf8');
  return raw.toString('utf8');
}

/** Starts checking every answer of `cloud` against `document` (the parsed /openapi.json). */
export function watchResponses(cloud: TestCloud, document: Json): Conformance {
  // The document's own refs (#/components/...) resolve inside a schema registered under one id.
  const rewritten = JSON.parse(
    JSON.stringify(document).replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`),
  ) as Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: DOCUMENT_ID, components: rewritten['components'] });
  const paths = rewritten['paths'] as Record<string, Record<string, Operation>>;
  const shapes = pathShapes(rewritten);
  const validators = new Map<string, ValidateFunction>();
  const validatorOf = (key: string, schema: Json) => {
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile(schema);
      validators.set(key, validate);
    }
    return validate;
  };
  const state: Conformance = {
    exercised: new Map(),
    mismatches: [],
    operations: Object.entries(paths).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`),
    ),
  };

  const check = (key: string, operation: Operation, status: number, contentType: string, text: string) => {
    const documented = operation.responses[String(status)];
    if (!documented) return `${key} answered ${status}, which it does not document: ${text.slice(0, 200)}`;
    if (!documented.content)
      return text === '' ? undefined : `${key} ${status}: a body where none is documented`;
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    const media = documented.content[mediaType];
    if (!media) return `${key} ${status}: content type ${mediaType} is not documented`;
    if (mediaType === 'text/event-stream' || !media.schema) return undefined;
    const value = mediaType === 'application/json' ? JSON.parse(text) : text;
    const validate = validatorOf(`${key} ${status} ${mediaType}`, media.schema);
    if (validate(value)) return undefined;
    return `${key} ${status}: ${ajv.errorsText(validate.errors)} in ${text.slice(0, 300)}`;
  };

  const checkRequest = (key: string, operation: Operation, init: RequestInit | undefined) => {
    const schema = operation.requestBody?.content['application/json']?.schema;
    if (!schema || typeof init?.body !== 'string') return undefined;
    const validate = validatorOf(`${key} request`, schema);
    if (validate(JSON.parse(init.body))) return undefined;
    return `${key}: a request the server took is outside the document: ${ajv.errorsText(validate.errors)}`;
  };

  const app = cloud.app;
  const original = app.request;
  app.request = (async (input: string | Request | URL, init?: RequestInit, ...rest: unknown[]) => {
    const response = await (original as (...args: unknown[]) => Promise<Response>)(input, init, ...rest);
    const url = new URL(typeof input === 'string' ? input : input.toString(), 'http://cloud.test');
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const shape = shapes.find((candidate) => candidate.pattern.test(url.pathname));
    const operation = shape ? paths[shape.template]?.[method.toLowerCase()] : undefined;
    // Pages outside the API (/docs, /ops) and wrong methods (405, a general rule) are not operations.
    if (!shape || !operation) return response;
    const key = `${method} ${shape.template}`;
    const statuses = state.exercised.get(key) ?? new Set<number>();
    statuses.add(response.status);
    state.exercised.set(key, statuses);
    const contentType = response.headers.get('content-type') ?? '';
    // A stream never ends by itself: its status and content type are checked, its body is the caller's.
    const text = contentType.startsWith('text/event-stream') ? '' : await bodyText(response.clone());
    const problem =
      check(key, operation, response.status, contentType, text) ??
      (response.status < 300 ? checkRequest(key, operation, init) : undefined);
    if (problem) state.mismatches.push(problem);
    return response;
  }) as typeof app.request;
  return state;
}
