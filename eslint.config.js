// Type-aware lint: in a shutdown appliance a forgotten `await` or a non-exhaustive switch is the likeliest bug.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-pkg/**', 'node_modules/**', 'coverage/**', 'src/web/assets/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
    },
  },
  // The layering, enforced: pure cores import no I/O; only transport/ loads the native USB modules; the web layer
  // sees the services' façades, never their internals (type imports of their shapes are fine).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/ups/transport/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node-hid', message: 'only src/ups/transport/ loads native USB modules', allowTypeImports: true },
            { name: 'usb', message: 'only src/ups/transport/ loads native USB modules', allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/ups/hid/**/*.ts',
      'src/ups/pdc/**/*.ts',
      'src/ups/nut/line-codec.ts',
      'src/ups/nut/protocol.ts',
      'src/relay/protocol.ts',
      'src/shutdown/policy.ts',
      'src/shutdown/plan.ts',
      'src/shutdown/estimates.ts',
      'src/util/redact.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(node:)?(fs|fs/promises|net|tls|http|https|http2|dgram|child_process|worker_threads|cluster)$|^(better-sqlite3|node-hid|usb|fastify|pino)$',
              message: 'a pure core does no I/O: take the data as arguments',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/web/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '/(store|relay|ups/transport|shutdown/drivers)/|/shutdown/(runner|run-target|sim-cluster|journal)\\.js$|^(better-sqlite3|node-hid|usb)$',
              message: 'the web layer talks to the services through their façades (WebDeps), not to their internals',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  // The page (src/web/client/) runs in the browser: it may import only types from the server side (the api-types),
  // never server code or Node modules. Its browser globals come from its own tsconfig (lib DOM), which the project
  // service picks for these files; typed lint needs no globals list (no-undef is off for TypeScript).
  {
    files: ['src/web/client/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(node:|fastify$|better-sqlite3$|pino$|zod$|yaml$|node-hid$|usb$)',
              message: 'the page runs in the browser: no Node or server modules',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  // One exception: src/util/duration-words.ts, pure and import-free, is the wording of durations the server's sentences
  // use, so the page's live clocks (format.ts) say them the same way instead of keeping a copy. (src/ups/events.ts,
  // the one list of event types, is pure and import-free too: the events view's filter takes it.)
  {
    files: ['src/web/client/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(node:|fastify$|better-sqlite3$|pino$|zod$|yaml$|node-hid$|usb$)|^\\.\\./(?!\\.\\./util/duration-words\\.js$)',
              message: 'the page imports only types from the server side (src/web/api-types/)',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/web/client/*/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(node:|fastify$|better-sqlite3$|pino$|zod$|yaml$|node-hid$|usb$)|^\\.\\./\\.\\./(?!\\.\\./ups/events\\.js$)',
              message: 'the page imports only types from the server side (src/web/api-types/)',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
