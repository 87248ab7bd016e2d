// Node jose verifies an access token with nothing but the discovery document: keys from jwks_uri, algorithms
// from id_token_signing_alg_values_supported.
import { apiUrl, check, register, steps } from './common.mjs';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

let discovery;
let keys;
let tokens;

await steps({
  discovery: async () => {
    const response = await fetch(`${apiUrl}/.well-known/openid-configuration`);
    check(response.ok, `discovery answered ${response.status}`);
    discovery = await response.json();
    keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
    tokens = await register('jose');
  },
  'verify the access token': async () => {
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, keys, options());
    check(protectedHeader.typ === 'at+jwt', `typ ${protectedHeader.typ}`);
    check(typeof payload.sub === 'string' && typeof payload.sid === 'string' && payload.customer_type === 'registered', JSON.stringify(payload));
  },
  'reject a token with a forged signature': async () => {
    const [header, payload, signature] = tokens.access_token.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    await expectRejected(forged, errors.JWSSignatureVerificationFailed);
  },
  'reject a token for another audience': async () => {
    await expectRejected(tokens.access_token, errors.JWTClaimValidationFailed, { audience: 'another-service' });
  },
});

function options(overrides = {}) {
  return {
    issuer: discovery.issuer,
    audience: 'checkout',
    typ: 'at+jwt',
    algorithms: discovery.id_token_signing_alg_values_supported,
    ...overrides,
  };
}

async function expectRejected(token, errorType, overrides) {
  try {
    await jwtVerify(token, keys, options(overrides));
  } catch (error) {
    check(error instanceof errorType, `${error?.code}: ${error?.message}`);
    return;
  }
  throw new Error('the token was accepted');
}
