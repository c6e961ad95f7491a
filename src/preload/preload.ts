// Runs in the sandboxed preload: exposes the typed API as window.rdl and nothing else
// (never ipcRenderer itself). Bundled to CommonJS by scripts/build.mjs.
import { contextBridge, ipcRenderer } from 'electron';
import { buildRdlApi } from './api.js';

contextBridge.exposeInMainWorld('rdl', buildRdlApi(ipcRenderer));
