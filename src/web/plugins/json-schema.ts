import type { FastifyTypeProvider } from 'fastify';

/**
 * The request types come from the route schemas themselves: a schema written `as const` is both what ajv validates
 * and, through this mapper, the type of `req.query`, `req.params` or `req.body`. It maps the small subset of JSON
 * Schema the API uses (object, string with enum, integer, number, boolean, array); anything else is `unknown`, so a
 * schema it does not understand never yields a type that is wider than what was validated.
 */
export type FromSchema<S> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly type: 'string' }
    ? string
    : S extends { readonly type: 'integer' | 'number' }
      ? number
      : S extends { readonly type: 'boolean' }
        ? boolean
        : S extends { readonly type: 'array'; readonly items: infer I }
          ? readonly FromSchema<I>[]
          : S extends { readonly type: 'object'; readonly properties: infer P }
            ? ObjectOf<P, S extends { readonly required: readonly (infer R)[] } ? R : never>
            : unknown;

type ObjectOf<P, Required> = Flatten<
  { -readonly [K in keyof P & Required]: FromSchema<P[K]> } & {
    -readonly [K in Exclude<keyof P, Required>]?: FromSchema<P[K]>;
  }
>;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** Fastify's type provider over `FromSchema`: `app.withTypeProvider<JsonSchemaProvider>()` types routes by schema. */
export interface JsonSchemaProvider extends FastifyTypeProvider {
  validator: FromSchema<this['schema']>;
  serializer: FromSchema<this['schema']>;
}
