/** report.md and report.html written into a run directory (after a run, and again after a drill scores it). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReportModel } from './model.js';
import { renderReport } from './render.js';

export async function writeReportFiles(runDir: string): Promise<string[]> {
  const model = await buildReportModel(runDir);
  return (['md', 'html'] as const).map((format) => {
    const file = join(runDir, `report.${format}`);
    writeFileSync(file, renderReport(model, format), { mode: 0o600 });
    return file;
  });
}
