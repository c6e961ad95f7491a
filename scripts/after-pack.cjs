// electron-builder afterPack hook: flips Electron's fuses in the packaged binary.
// - RunAsNode off: the app never needs ELECTRON_RUN_AS_NODE; the headless daemon is
//   `rdl-sync --headless run`, handled by our own main process.
// - Node options / inspect flags off: nobody can inject code through the environment or a debugger.
// - Embedded asar integrity + only load the app from the asar: a modified app.asar does not run.
// - Cookie encryption on.
// - File-protocol extra privileges off: the window's page comes from our own scheme
//   (rdl-sync://app/, src/main/app-protocol.ts), so no file:// page needs to read other files.
const path = require('node:path');
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');

/** Where the Electron executable is inside the packaged output, per platform. */
function electronBinary(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const name = packager.appInfo.productFilename;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas')
    return path.join(appOutDir, `${name}.app`);
  if (electronPlatformName === 'win32') return path.join(appOutDir, `${name}.exe`);
  return path.join(appOutDir, packager.executableName);
}

const FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

module.exports = async function afterPack(context) {
  const binary = electronBinary(context);
  // Apple Silicon refuses to run a binary whose ad-hoc signature no longer matches.
  const resetAdHocDarwinSignature = context.electronPlatformName === 'darwin' && context.arch === 3; // Arch.arm64
  await flipFuses(binary, { ...FUSES, resetAdHocDarwinSignature });
  console.log(`  • fuses flipped  binary=${binary}`);
};

module.exports.FUSES = FUSES;
module.exports.electronBinary = electronBinary;
