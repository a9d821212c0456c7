import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // oclif prints through console.log; intercepting it would hide command output from captureOutput.
    disableConsoleIntercept: true,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The machine has 2 cores; integration tests spawn daemons and shells, so keep parallelism modest.
    maxWorkers: 2,
  },
})
