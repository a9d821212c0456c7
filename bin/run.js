#!/usr/bin/env node
// @oclif/core's index checks its own `engines` with semver on import, which loads ~60 modules (about a
// fifth of a one-shot command's start-up). package.json's engines is what guards Node for hub; the
// commands' runs never see this variable (src/lib/runner.ts passes an allowlist).
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'

import {execute} from '@oclif/core/execute'

await execute({dir: import.meta.url})
