// Build step after tsc: write dist/report/templates.precompiled.cjs (see src/report/precompiled.ts).
import { writePrecompiled } from '../dist/report/precompiled.js';

writePrecompiled();
