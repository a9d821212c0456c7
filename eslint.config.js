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
      // Order carries meaning in these: case fall-through, Set and Map iteration order.
      'perfectionist/sort-switch-case': 'off',
      'perfectionist/sort-sets': 'off',
      'perfectionist/sort-maps': 'off',
      // In TypeScript an explicit undefined fills a required parameter or types a catch handler.
      'unicorn/no-useless-undefined': 'off',
      // Byte scanners, hashes and id encoding work on bits on purpose.
      'no-bitwise': 'off',
    },
  },
]
