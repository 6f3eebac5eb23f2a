// The OpenAPI document, made by @fastify/swagger when it is first asked for, not at start: the library and the yaml
// parser it loads are about 1 MB of the heap (measured: demo heap 21.1 -> 20.1 MB, RSS 75.3 -> 73.6 MB), and an
// appliance serves the document rarely. Every route is recorded as it is added (what swagger's own hook would see);
// the first request replays them into a throwaway Fastify with swagger registered, keeps the document and closes it.
import type { FastifyInstance, FastifySchema, HTTPMethods, RouteOptions } from 'fastify';
// Swagger's additions to the route schema's type (summary, hide, tags) stay in force without the module loaded.
import type {} from '@fastify/swagger';

/** The part of an OpenAPI document the list page reads. */
export interface OpenApiDocument {
  readonly paths?: Readonly<Record<string, Readonly<Record<string, { summary?: string; 'x-access'?: string }>>>>;
}

interface RecordedRoute {
  readonly method: HTTPMethods | HTTPMethods[];
  readonly url: string;
  readonly schema: FastifySchema | undefined;
  readonly config: RouteOptions['config'];
}

const API_TITLE = 'upsguard API';

const OPENAPI_OPTIONS = {
  openapi: {
    openapi: '3.0.3',
    info: {
      title: API_TITLE,
      version: '1',
      description:
        'The console API of upsguard. Log in (POST /api/login) for a session cookie, or send an API token as ' +
        '`Authorization: Bearer`. Every route says its least role in `x-access`.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'upsguard_session' },
      },
    },
  },
  // Each operation carries the access its route declares, so a reader knows who may call it.
  transform: ({ schema, url, route }: { schema: unknown; url: string; route: { config?: unknown } }) => {
    const access = (route.config as { access?: string } | undefined)?.access;
    const base = (schema ?? {}) as Record<string, unknown>;
    return { schema: access === undefined ? base : { ...base, 'x-access': access }, url };
  },
} as const;

export class OpenApiBook {
  readonly title = API_TITLE;
  private readonly routes: RecordedRoute[] = [];
  private document: Promise<OpenApiDocument> | null = null;

  /** Installed at the root before any route plugin, so it sees every route as it is added (HEAD ones are derived). */
  constructor(app: FastifyInstance) {
    app.addHook('onRoute', (r: RouteOptions) => {
      if (r.method === 'HEAD') return;
      this.routes.push({ method: r.method, url: r.url, schema: r.schema, config: r.config });
      this.document = null;
    });
  }

  /** The document, made once (again only if a route was added since); a failure is tried again at the next ask. */
  get(): Promise<OpenApiDocument> {
    this.document ??= build(this.routes).catch((err: unknown) => {
      this.document = null;
      throw err;
    });
    return this.document;
  }
}

async function build(routes: readonly RecordedRoute[]): Promise<OpenApiDocument> {
  const [{ default: Fastify }, { default: swagger }] = await Promise.all([
    import('fastify'),
    import('@fastify/swagger'),
  ]);
  const scratch = Fastify({ logger: false });
  try {
    await scratch.register(swagger, OPENAPI_OPTIONS);
    await scratch.register((inner, _opts, done) => {
      for (const r of routes) {
        inner.route({ method: r.method, url: r.url, schema: r.schema, config: r.config, handler: () => null });
      }
      done();
    });
    await scratch.ready();
    return (scratch as unknown as { swagger(): OpenApiDocument }).swagger();
  } finally {
    await scratch.close();
  }
}
