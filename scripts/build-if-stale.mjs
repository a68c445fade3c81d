// `npm test`'s pretest: build unless dist/ was built from exactly these inputs (scripts/build-inputs.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { buildInputsHash, STAMP } from './build-inputs.mjs';

const built = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : '';
if (built && built === buildInputsHash()) {
  console.log('build: dist/ is up to date with src/ (scripts/build-if-stale.mjs)');
} else {
  execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
}
