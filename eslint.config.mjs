// ESLint: typescript-eslint's type-aware recommended rules (as the Azure SDK and Functions libraries
// use), Prettier owning layout. `npm run lint` runs it; .ci/run runs lint before the tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.demand/**', 'coverage/**', 'test-output/**', 'sample/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      // A `default:` clause is this codebase's way of saying "the rest": it counts as exhaustive.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      eqeqeq: ['error', 'always'],
      // A `let` assigned once after a closure that reads it (a server handler and its owner) cannot be `const`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Rethrowing a caught `unknown` (a consumer's failure handed to its producer) is correct; new throws stay Errors.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      // `interface Output extends Base {}` names an activity's contract even when it adds nothing yet.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // The regexes that match control characters do so on purpose (escaping keys and names for storage).
      'no-control-regex': 'off',
      // Port methods stay `async` without an await so a synchronous throw still arrives as a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Kusto.Language is Bridge.NET JavaScript loaded as globals, with no type declarations: its objects are `any` by nature.
    files: ['test/artefacts/kusto.ts', 'test/artefacts/kql.test.ts', 'test/telemetry/telemetry.test.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  prettier,
);
