// OpenAPI 3.1 document built from the registered routes' zod schemas (zod 4's own
// z.toJSONSchema, whose draft 2020-12 output is what OpenAPI 3.1 embeds), plus the webhook
// routes, which are authenticated by signature instead of admin credentials.
import { z } from 'zod';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../webhook-signature.ts';
import { API_BASE_PATH, type AnyRouteDefinition } from './api/router.ts';
import type { WebhookKind } from './webhook-kinds.ts';

type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** '/sms/batches/:id' → '/sms/batches/{id}' */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(def: AnyRouteDefinition): JsonSchema[] {
  const out: JsonSchema[] = [];
  const pathNames = [...def.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const paramShape = def.params instanceof z.ZodObject ? (def.params.shape as Record<string, z.ZodType>) : {};
  for (const name of pathNames) {
    const s = paramShape[name];
    out.push({ name, in: 'path', required: true, schema: s ? toSchema(s, 'input') : { type: 'string' } });
  }
  if (def.query instanceof z.ZodObject) {
    for (const [name, s] of Object.entries<z.ZodType>(def.query.shape)) {
      out.push({ name, in: 'query', required: !s.safeParse(undefined).success, schema: toSchema(s, 'input') });
    }
  }
  if (def.method === 'post') {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Optional. The first answer is kept for 24 h and replayed for the same key; the same key with a different request is a 422.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  }
  return out;
}

function operation(def: AnyRouteDefinition): JsonSchema {
  const op: JsonSchema = {
    summary: def.summary,
    operationId: `${def.method}${def.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    security: [{ basicAuth: [] }, { bearerAuth: [] }],
  };
  if (def.description) op.description = def.description;
  if (def.tags) op.tags = def.tags;
  const params = parameters(def);
  if (params.length > 0) op.parameters = params;
  if (def.body) {
    const content: Record<string, unknown> = {};
    for (const t of def.bodyTypes ?? ['json']) {
      content[t === 'json' ? 'application/json' : 'text/plain'] = { schema: t === 'json' ? toSchema(def.body, 'input') : { type: 'string' } };
    }
    op.requestBody = { required: true, content };
  }
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(def.responses ?? { 200: { description: 'OK' } })) {
    responses[status] = spec.schema
      ? { description: spec.description, content: { 'application/json': { schema: toSchema(spec.schema, 'output') } } }
      : { description: spec.description };
  }
  responses['400'] ??= errorResponse('Invalid request (details name the field paths)');
  responses['401'] ??= errorResponse('Missing or wrong credentials');
  if (def.method === 'post') responses['422'] ??= errorResponse('Idempotency-Key reused with a different request');
  responses['503'] ??= errorResponse('Redis unavailable; retry later');
  op.responses = responses;
  return op;
}

function webhookOperation(kind: WebhookKind): JsonSchema {
  const header = (name: string, description: string) => ({ name, in: 'header', required: true, description, schema: { type: 'string' } });
  return {
    summary: `${kind.summary} webhook (CXone → fleet)`,
    operationId: `webhook${kind.kind.replace(/-(.)/g, (_m, c: string) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase())}`,
    security: [],
    parameters: [
      header(TIMESTAMP_HEADER, 'Unix seconds; refused when more than the tolerance (5 min) away from now'),
      header(SIGNATURE_HEADER, 'v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">; several v1= entries may be sent, comma separated'),
    ],
    requestBody: { required: true, content: { 'application/json': { schema: toSchema(kind.body, 'input') } } },
    responses: {
      202: { description: 'Stored as a new job' },
      200: { description: 'Already stored (redelivery): no new job' },
      400: errorResponse('Malformed JSON or invalid fields (paths named)'),
      401: errorResponse('Signature missing, stale or wrong'),
      413: errorResponse('Body too large'),
      415: errorResponse('Not JSON'),
      503: errorResponse('Redis unavailable; CXone should retry'),
    },
  };
}

export function buildOpenApi(routes: readonly AnyRouteDefinition[], webhooks: readonly WebhookKind[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of routes) {
    const p = `${API_BASE_PATH}${toOpenApiPath(def.path)}`;
    (paths[p] ??= {})[def.method] = operation(def);
  }
  for (const kind of webhooks) (paths[kind.path] ??= {}).post = webhookOperation(kind);
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' }, bearerAuth: { type: 'http', scheme: 'bearer' } },
    },
  };
}
