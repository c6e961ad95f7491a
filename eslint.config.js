// Lint also enforces the layering of DESIGN.md, so the rule does not live only in people's memory:
// the engine and the shared contract never import Electron, and the renderer never reaches Node.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const electronBan = {
  paths: [
    { name: 'electron', message: 'src/engine and src/shared must stay pure Node: no Electron.' },
  ],
  patterns: [
    {
      group: ['electron/*'],
      message: 'src/engine and src/shared must stay pure Node: no Electron.',
    },
  ],
};

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// The engine's one surface (DESIGN.md "Engine surface"): src/main and src/cli import the engine
// only through src/engine/index.ts; anything else there is the engine's own business.
const engineSurface = {
  group: ['**/engine/*', '**/engine/**', '!**/engine/index.js'],
  message:
    'Import the engine only from src/engine/index.js (its one surface); export what you need there.',
};
// The renderer sees the engine's data only through src/shared (types re-exported there).
const rendererNoEngine = {
  group: ['**/engine', '**/engine/**'],
  message:
    'The renderer imports only src/shared: re-export the type you need in src/shared/engine-types.ts.',
};
const nodeBuiltinBan = (message) => nodeBuiltins.map((name) => ({ name, message }));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'release/**', 'test-artifacts/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/engine/**'],
    rules: { 'no-restricted-imports': ['error', electronBan] },
  },
  {
    // esbuild leaves out the parts of zod a bundle never uses only when zod is imported as a
    // namespace: the named `z` (or the default export) kept all of it, its 40-odd locales too,
    // which V8 then compiled at every start of the CLI (scripts/build.mjs; about 560 KB).
    files: ['src/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value=/^zod(\\/|$)/][importKind='value'] > :matches(ImportSpecifier[imported.name='z'], ImportDefaultSpecifier)",
          message:
            "Import zod as `import * as z from 'zod'`: the bundles then keep only what is used.",
        },
      ],
    },
  },
  {
    // Shared by main, preload and the sandboxed renderer: neither Electron nor Node.
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...electronBan.paths,
            ...nodeBuiltinBan(
              'src/shared is loaded by the sandboxed window too: no Node built-ins.',
            ),
          ],
          patterns: electronBan.patterns,
        },
      ],
    },
  },
  {
    files: ['src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: electronBan.paths, patterns: [...electronBan.patterns, engineSurface] },
      ],
    },
  },
  {
    files: ['src/main/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [engineSurface] }] },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltinBan(
              'The renderer is sandboxed: no Node built-ins; call the preload API.',
            ),
            {
              name: 'electron',
              message: 'The renderer is sandboxed: call the preload API (window.rdl).',
            },
          ],
          patterns: [rendererNoEngine],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
