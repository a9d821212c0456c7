import oclif from 'eslint-config-oclif'
import prettier from 'eslint-config-prettier/flat'

export default [
  {ignores: ['dist/', 'coverage/', 'node_modules/', 'bench/.data/']},
  // The mocha plugin's rules are for mocha suites; ours run on vitest, whose hooks and nesting differ.
  ...oclif.map((c) =>
    c.plugins?.mocha
      ? {...c, rules: Object.fromEntries(Object.entries(c.rules ?? {}).filter(([k]) => !k.startsWith('mocha/')))}
      : c,
  ),
  prettier,
  {
    rules: {
      // The wire formats (audit lines, records, the HTTP API) are the seed's snake_case contract.
      camelcase: 'off',
      // Sequential awaits are deliberate: ordered durable writes, one id at a time under a lock.
      'no-await-in-loop': 'off',
      // Key order is output order (audit lines, JSON answers, the seed's field order): never sort it.
      'perfectionist/sort-objects': 'off',
      // Order carries meaning in these: case fall-through, and a Set's iteration order (the order lists are
      // printed in, e.g. "use one of: …").
      'perfectionist/sort-switch-case': 'off',
      'perfectionist/sort-sets': 'off',
      // In TypeScript an explicit undefined fills a required parameter or types a catch handler.
      'unicorn/no-useless-undefined': 'off',
      // Byte scanners, hashes and id encoding work on bits on purpose.
      'no-bitwise': 'off',
      // `void promise;` marks a promise left to run on purpose (its errors are handled inside).
      'no-void': ['error', {allowAsStatement: true}],
      // `const {hash: _h, ...rest} = entry` drops a field: the underscore says it is unused on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', ignoreRestSiblings: true, varsIgnorePattern: '^_'},
      ],
      // A generator's yield type is in its TypeScript signature; a @yields tag would repeat it.
      'jsdoc/require-yields': 'off',
      // chalk 5's named `Chalk` class makes an instance that honours NO_COLOR and the stream's own colour level.
      'unicorn/import-style': ['error', {styles: {chalk: {named: true}, 'node:path': {named: true}}}],
      // Prettier wraps code at 120 but leaves long strings, comments and template literals alone: this
      // catches those. A URL cannot be split without breaking it for whoever copies it.
      '@stylistic/max-len': ['error', {code: 120, ignoreUrls: true, tabWidth: 2}],
      // fetch, Request and Response are stable in Node 20 (the rule still calls them experimental).
      'n/no-unsupported-features/node-builtins': [
        'error',
        {ignores: ['fetch', 'Request', 'Response', 'Headers', 'import.meta.dirname']},
      ],
    },
  },
  {
    // The audit scanners are hand-written state machines on the hot path (a branch per byte class,
    // positions passed as plain numbers so that nothing is allocated per line): their branches are
    // the JSON grammar's, and packing the positions into objects would cost an allocation a line.
    files: ['src/lib/audit/{json-scan,query,stats,verify,chain,log}.ts'],
    rules: {complexity: 'off', 'max-depth': 'off', 'max-params': 'off'},
  },
  {
    // Shell text is the policy's data: `${x}` in a string is a shell expansion, not a template.
    files: ['src/lib/policy/**/*.ts'],
    rules: {'no-template-curly-in-string': 'off'},
  },
]
