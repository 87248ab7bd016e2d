// Shared by the interop scripts: where the API is, which client to be, and a customer to test with.
// Import this module first: on Node 18 it provides the global WebCrypto that jose and openid-client use.
import { webcrypto } from 'node:crypto';

globalThis.crypto ??= webcrypto;

export const apiUrl = required('AUTHCLUSTER_URL');
export const clientId = required('AUTHCLUSTER_CLIENT_ID');
export const clientSecret = required('AUTHCLUSTER_CLIENT_SECRET');
export const shopId = Number(required('AUTHCLUSTER_SHOP_ID'));
export const basic = 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');

/** Registers a new customer with plain fetch and returns the token response. */
export async function register(label) {
  const response = await fetch(`${apiUrl}/v1/auth/register`, {
    method: 'POST',
    headers: { Authorization: basic, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      first_name: 'Interop',
      last_name: label,
      email: `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}@interop.example`,
      password: 'violet staircase umbrella 42',
      shop_id: shopId,
    }),
  });
  if (response.status !== 201) {
    throw new Error(`register answered ${response.status}: ${await response.text()}`);
  }
  return response.json();
}

export function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

/** Runs the steps in order, printing each one, and exits non-zero on the first failure. */
export async function steps(named) {
  for (const [name, step] of Object.entries(named)) {
    try {
      await step();
      console.log(`ok ${name}`);
    } catch (error) {
      console.log(`FAILED ${name}: ${error?.stack ?? error}`);
      process.exit(1);
    }
  }
}

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}
