#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/bundle/ by `npm run build` (run by `npm ci` via the prepare script).
import '../dist/bundle/main.js';
