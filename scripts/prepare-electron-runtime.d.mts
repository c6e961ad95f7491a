// Types for scripts/prepare-electron-runtime.mjs, so TypeScript tests can call it.
export declare const root: string;
export declare const TEST_ELECTRON_VERSION: string;
export interface ElectronRuntime {
  /** The folder: electron-builder's `electronDist`. */
  dir: string;
  /** Its `electron` executable. */
  executable: string;
  version: string;
  chrome: string;
}
export declare function runtimeVersions(executable: string): Record<string, string>;
export declare function prepareElectronRuntime(options?: {
  log?: (line: string) => void;
}): Promise<ElectronRuntime>;
