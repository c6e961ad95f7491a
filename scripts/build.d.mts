// Types for scripts/build.mjs, so TypeScript tests can call it.
export declare const root: string;
export declare function buildRenderer(outDir: string, options?: { dev?: boolean }): Promise<string>;
export declare function buildPreload(outDir: string, options?: { dev?: boolean }): Promise<void>;
/** dist: where to build (default <root>/dist; tests use a temp folder so they never race). */
export declare function buildAll(options?: { dev?: boolean; dist?: string }): Promise<string>;
/** The headless CLI alone into `outfile` (name it cli.mjs: the CLI runs itself under that name). */
export declare function buildCli(outfile: string, options?: { dev?: boolean }): Promise<string>;
