// How tests start the `rdl-sync` CLI. scripts/run-tests.mjs bundles it once per test run, as
// `npm run build` does (the code a package ships), and names the bundle in RDL_TEST_CLI_BUNDLE:
// each start then loads a few files instead of compiling the whole source through tsx, about
// 0.3 s against 1.3 s (and 2 s of CPU), and the suite starts the CLI hundreds of times. A test
// file run on its own (node --import tsx --test FILE) has no bundle and runs the source.
import path from 'node:path';

const entry = path.resolve(import.meta.dirname, '../../src/cli/main.ts');

/** node's arguments before the CLI's own: the run's bundle, or the source through tsx. */
export function cliCommand(): string[] {
  const bundle = process.env.RDL_TEST_CLI_BUNDLE;
  // tsx named by its path: some tests start the CLI in a folder outside the repository.
  return bundle ? [bundle] : ['--import', import.meta.resolve('tsx'), entry];
}
