/**
 * The policy engine's public face (SPEC §4). Importing this module loads no WebAssembly: only
 * `loadPolicy()` does, once per process, so commands that never judge a command stay lean.
 */

export {type BatteryCase, EVASION_BATTERY, HARMLESS_BATTERY} from './batteries.js'
export {builtinPacks, loadPolicy, type LoadPolicyOptions} from './load.js'
export {ENGINE_LIMITS} from './packs/engine.js'
export type {Pack} from './packs/index.js'
export type {CommandRule, EngineRule, Examples, PackName, Rule, TextRule} from './rules.js'
export {PACK_NAMES} from './rules.js'
export {runPolicySelfTest, type SelfTestFailure, type SelfTestResult} from './self-test.js'
export * from './types.js'
