/**
 * Lint gates (make lint): promises are awaited or explicitly voided, nothing unused, and limits on branching and
 * parameters. The limits are what the code meets today (see the numbers below); lower them as code is split.
 */
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'e2e/test/**', 'e2e/flagger-corpus/**', 'e2e/upstream-crds/**', 'bench/**', 'charts/**'],
  },
  {
    files: ['{contract,operator,hooks,cli,e2e}/{src,test}/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      complexity: ['error', 20],
      'max-params': ['error', 6],
    },
  },
);
