// Redocly's recommended rules over the running API's /openapi/v1.json: exits non-zero on any error and prints
// the warnings, so a regression in the document fails the build.
import { apiUrl, steps } from './common.mjs';
import { createConfig, lintFromString } from '@redocly/openapi-core';

await steps({
  'lint with the recommended rules': async () => {
    const response = await fetch(`${apiUrl}/openapi/v1.json`);
    const source = await response.text();
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: `${apiUrl}/openapi/v1.json`, config });
    const errors = problems.filter(p => p.severity === 'error');
    const warnings = problems.filter(p => p.severity === 'warn');
    for (const problem of problems) {
      console.log(`  ${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`);
    }
    console.log(`  ${errors.length} errors, ${warnings.length} warnings`);
    if (errors.length > 0) {
      throw new Error(`${errors.length} lint errors`);
    }
  },
});
