// Worker entry of ParallelGriffinLim: plain JavaScript so it starts under any loader, then loads the
// TypeScript kernel through tsx (a dependency), which installs the message handler.
import { register } from 'tsx/esm/api';

register();
await import('./griffinlim-parallel.ts');
