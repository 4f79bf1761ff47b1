// Lint: the recommended JS and TypeScript rules, plus a few that catch real bugs in async stream code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', 'bench/results/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'smart'],
      // kafkajs values come from src/kafka/kafkajs.ts, which replaces some of its internals before it loads.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'kafkajs', message: 'import kafkajs values from src/kafka/kafkajs.ts (types may come from kafkajs)', allowTypeImports: true }] },
      ],
    },
  },
  { files: ['src/kafka/kafkajs.ts'], rules: { '@typescript-eslint/no-restricted-imports': 'off' } },
);
