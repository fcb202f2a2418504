// Worker entry point in plain JavaScript: registers tsx in this thread (execArgv '--import tsx' is not applied
// to workers in every runner, e.g. vitest), then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./engine-worker.ts');
