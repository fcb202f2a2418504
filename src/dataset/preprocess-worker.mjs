// Worker entry of the preprocessing pool: plain JavaScript so it starts under any loader, then loads the
// TypeScript worker through tsx (a dependency), which installs the message handler.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
