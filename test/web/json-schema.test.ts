import { describe, expectTypeOf, it } from 'vitest';
import type { FromSchema } from '../../src/web/plugins/json-schema.js';

// Type-level: the request types the routes get are derived from their `as const` schemas (checked by tsc).
describe('FromSchema', () => {
  it('maps required and optional properties, enums, integers, strings and arrays', () => {
    const _body = {
      type: 'object',
      additionalProperties: false,
      required: ['mode'],
      properties: {
        mode: { type: 'string', enum: ['dry', 'real'] },
        subset: { type: 'array', items: { type: 'string', minLength: 1 } },
        limit: { type: 'integer', minimum: 1 },
        verbose: { type: 'boolean' },
      },
    } as const;
    expectTypeOf<FromSchema<typeof _body>>().toEqualTypeOf<{
      mode: 'dry' | 'real';
      subset?: readonly string[];
      limit?: number;
      verbose?: boolean;
    }>();
  });

  it('an object without required properties has every property optional; an unknown schema is unknown', () => {
    const _q = { type: 'object', properties: { since: { type: 'integer' } } } as const;
    expectTypeOf<FromSchema<typeof _q>>().toEqualTypeOf<{ since?: number }>();
    expectTypeOf<FromSchema<{ readonly oneOf: readonly [] }>>().toBeUnknown();
  });
});
