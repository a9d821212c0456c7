import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    // oclif prints through console.log; intercepting it would hide command output from captureOutput.
    disableConsoleIntercept: true,
    hookTimeout: 60_000,
    // The machine has 2 cores; integration tests spawn daemons and shells, so keep parallelism modest.
    maxWorkers: 2,
    projects: [
      {extends: true, test: {include: ['src/**/*.test.ts'], name: 'unit'}},
      {extends: true, test: {include: ['test/**/*.test.ts'], name: 'integration'}},
    ],
    testTimeout: 60_000,
  },
})
