// `npm run bench`: runs every benchmark section in turn and prints its figures.
// Sections are added here as they are written (engine, archive...); each prints its own lines.
import { runUploadBench } from './upload-bench.js';
import { runEngineBench } from './engine-bench.js';

async function main(): Promise<void> {
  console.log('== Dropbox upload ==');
  await runUploadBench();
  console.log('== Engine, end to end ==');
  await runEngineBench();
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
