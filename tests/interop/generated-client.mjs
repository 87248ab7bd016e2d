// Generates a TypeScript client from the running API's /openapi/v1.json with openapi-typescript, compiles it
// with tsc (strict), and runs register -> refresh -> logout through it.
import { apiUrl, clientId, clientSecret, shopId, steps } from './common.mjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

await steps({
  generate: () => run('node_modules/openapi-typescript/bin/cli.js', `${apiUrl}/openapi/v1.json`, '--output', 'generated/schema.d.ts'),
  compile: () => run('node_modules/typescript/bin/tsc', '--project', 'tsconfig.json'),
  'register, refresh, logout': async () => {
    const { registerRefreshLogout } = await import('./generated/build/generated-client.js');
    console.log(`  ${(await registerRefreshLogout(apiUrl, clientId, clientSecret, shopId)).join(', ')}`);
  },
});

function run(script, ...args) {
  const result = spawnSync(process.execPath, [script, ...args], { cwd: here, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`${script} exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
}
