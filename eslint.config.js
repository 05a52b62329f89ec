// Lint, including the layer rules of the design notes: each ban carries the reason a reader
// sees when it fires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const IO_MODULES = ['node:fs', 'node:fs/promises', 'node:http', 'node:https', 'node:net', 'node:dns', 'node:child_process', 'node:timers', 'node:timers/promises', 'undici', 'better-sqlite3', 'kysely', 'pg', 'ioredis', 'redis'];

/** A pure module may not do I/O, read the clock or draw random numbers. */
const pureRules = (what) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: IO_MODULES.map((name) => ({ name, message: `${what} is pure: no I/O. Pass what you need in from the proxy or the simulator.` })),
      patterns: [
        { group: ['**/proxy/**', '**/http/**', '**/admin/**', '**/cli/**', '**/emulators/**', '**/simulator/**', '**/ledger/**', '**/cluster/**', '**/upstreams/**'], message: `${what} is the pure core: it may import only domain/ and other pure modules (routing, policy, contracts).` },
      ],
    },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: `${what} is pure: take the time as a parameter so the simulator can run it on a virtual clock.` },
    { object: 'Math', property: 'random', message: `${what} is pure: take randomness as a parameter so runs are reproducible.` },
    { object: 'performance', property: 'now', message: `${what} is pure: take the time as a parameter.` },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `${what} is pure: take the time as a parameter.` },
    { selector: 'Literal[value=/\\b(bedrock|azure)\\b/i]', message: 'Provider knowledge lives only in src/upstreams/<provider>/.' },
  ],
});

const providerNamesBanned = {
  'no-restricted-syntax': [
    'error',
    { selector: 'Literal[value=/\\b(bedrock|azure)\\b/i]', message: 'Provider knowledge lives only in src/upstreams/<provider>/: the proxy sees one adapter interface.' },
  ],
};

const importsOnly = (what, banned, reason) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: banned, message: `${what}: ${reason}` }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  // First, so the folder rules below (which also set no-restricted-imports) take precedence
  // where they exist: flat config lets the later block win for the same rule.
  { files: ['src/**/*.ts'], ignores: ['src/ledger/**', 'src/main.ts', '**/*.test.ts', 'src/**/test-support/**'], rules: {
    'no-restricted-imports': ['error', { patterns: [{ group: ['**/ledger/sql/**', '**/ledger/sqlite/**', '**/ledger/postgres/**'], message: 'Only main.ts picks a ledger implementation; depend on ledger/store.ts (the port) or ledger/open.ts.' }] }],
  } },
  { files: ['src/domain/**/*.ts'], ignores: ['**/*.test.ts'], rules: {
    ...pureRules('domain/'),
    'no-restricted-imports': ['error', {
      paths: IO_MODULES.map((name) => ({ name, message: 'domain/ holds types and errors only: no I/O.' })),
      patterns: [{ group: ['../*'], message: 'domain/: domain holds types and errors only and imports nothing else from src/.' }],
    }],
  } },
  { files: ['src/routing/**/*.ts', 'src/policy/**/*.ts', 'src/contracts/**/*.ts', 'src/accounting/**/*.ts'], ignores: ['**/*.test.ts'], rules: pureRules('This module') },
  { files: ['src/upstreams/**/*.ts'], ignores: ['**/*.test.ts'], rules: importsOnly('upstreams/', ['**/proxy/**', '**/http/**', '**/admin/**', '**/cli/**', '**/emulators/**', '**/ledger/**', '**/policy/**', '**/routing/**', '**/config/**'], 'adapters translate wire formats and depend only on domain/; the proxy drives them.') },
  { files: ['src/proxy/**/*.ts'], ignores: ['**/*.test.ts'], rules: {
    ...importsOnly('proxy/', ['**/http/**', '**/admin/**', '**/cli/**', '**/emulators/**', '**/config/**', '**/upstreams/*/**', 'better-sqlite3'], 'the attempt loop uses ports (adapter interface, stores) only; concrete providers and storage are chosen in main.ts.'),
    ...providerNamesBanned,
  } },
  { files: ['src/http/**/*.ts', 'src/config/**/*.ts', 'src/wire/**/*.ts'], ignores: ['**/*.test.ts'], rules: {
    ...importsOnly('This edge module', ['**/emulators/**', '**/cli/**', '**/upstreams/*/**'], 'the gateway never depends on the emulators, the CLI or a concrete provider.'),
    ...providerNamesBanned,
  } },
  { files: ['src/emulators/**/*.ts'], ignores: ['**/*.test.ts'], rules: importsOnly('emulators/', ['**/upstreams/**', '**/proxy/**', '**/http/**', '**/routing/**', '**/policy/**', '**/wire/**', '**/config/**'], 'an emulator shares no code with the gateway it tests, or a shared bug would pass unseen.') },
  { files: ['src/ledger/**/*.ts'], ignores: ['**/*.test.ts', 'src/ledger/test-support/**'], rules: importsOnly('ledger/', ['**/proxy/**', '**/http/**', '**/admin/**', '**/cli/**', '**/upstreams/**', '**/emulators/**', '**/policy/**', '**/routing/**', '**/recording/**'], 'the ledger is a storage port and its implementations; consumers depend on it, not the reverse.') },
  { files: ['src/cli/**/*.ts'], rules: { 'no-console': 'off' } },
  { files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*'], rules: { '@typescript-eslint/no-non-null-assertion': 'off', 'no-console': 'off' } },
  { files: ['*.js', '*.mjs', 'scripts/**/*.js', 'scripts/**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
