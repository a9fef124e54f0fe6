import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node globals for plain .js/.mjs files (TypeScript files get them from @types/node).
// Listed by hand because `globals` is only a transitive dependency here.
const NODE_GLOBALS = Object.fromEntries(
  [
    'AbortController',
    'AbortSignal',
    'Buffer',
    'URL',
    'URLSearchParams',
    'clearInterval',
    'clearTimeout',
    'console',
    'fetch',
    'performance',
    'process',
    'queueMicrotask',
    'setImmediate',
    'setInterval',
    'setTimeout',
    'structuredClone',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    // Only src, workers, test and scripts are ours to lint; everything else at the top
    // level (dist, .demo, sql, grafana, node_modules, this file) is skipped.
    ignores: ['*', '!src/', '!workers/', '!test/', '!scripts/'],
  },
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: NODE_GLOBALS,
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Service code logs through the one logger it is given, never the console.
    files: ['src/**', 'workers/**'],
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The command-line entry and its commands print results to stdout by design.
    files: ['src/cli.ts', 'src/commands/**'],
    rules: {
      'no-console': 'off',
    },
  },
  {
    // Tests and scripts may reach into untyped shapes (mocks, fixtures, raw JSON).
    files: ['test/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
