// POST /api/templates/preview: MJML in, HTML out, through the real MJML compiler plus the
// structural checks it skips. An invalid template (scripts included) is a 422 listing {line, tag, message}.
import { z } from 'zod';
import { compileMjml } from '../domain/email/mjml.ts';
import { defineRoute, type ApiRouter } from './api/router.ts';
import { ErrorCode } from '../errors.ts';
import { HttpError } from './http-error.ts';

export const TEMPLATE_LIMIT_BYTES = 512 * 1024;

const issue = z.object({ line: z.number().int().nullable(), tag: z.string().nullable(), message: z.string() });

export function registerTemplateRoutes(api: ApiRouter): void {
  api.route(
    defineRoute({
      method: 'post',
      path: '/templates/preview',
      summary: 'Render an MJML template to HTML (JSON {mjml} or text/plain MJML)',
      tags: ['templates'],
      bodyTypes: ['json', 'text'],
      bodyLimitBytes: TEMPLATE_LIMIT_BYTES,
      body: z.union([z.object({ mjml: z.string().min(1) }), z.string().min(1)]),
      responses: {
        200: { description: 'Valid template', schema: z.object({ html: z.string(), warnings: z.array(issue) }) },
        422: { description: 'Invalid template, or one with a script (<script>, on*= attributes, javascript: URLs): error.details lists {line, tag, message}' },
      },
      handler: async ({ body }) => {
        const source = typeof body === 'string' ? body : body.mjml;
        const result = await compileMjml(source);
        if (!result.valid) {
          const first = result.errors[0];
          const where = first?.line != null ? ` (line ${first.line})` : '';
          throw new HttpError(ErrorCode.InvalidTemplate, `template is not valid MJML: ${result.errors.length} error(s)${where}`, result.errors);
        }
        return { status: 200, body: { html: result.html, warnings: result.warnings } };
      },
    }),
  );
}
