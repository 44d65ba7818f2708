/** The local Workers for Platforms API emulator. */
export {
  type CloudflareEmulator,
  type EmulatedScript,
  type EmulatorStats,
  startCloudflareEmulator,
} from './emulator.js';
export type { FaultConfig, InjectedStatus, OneShotFault, RequestKind } from './faults.js';
export type { CloudflareEmulatorOptions, RepeatAfterComplete } from './options.js';
export type { AssetAudit, RequestRecord } from './stats.js';
