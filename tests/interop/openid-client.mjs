// openid-client, the most used Node OAuth client, against AuthCluster: discovery, refresh, a failing refresh
// that must surface invalid_grant, introspection and revocation (RFC 7009).
import { apiUrl, check, clientId, clientSecret, register, steps } from './common.mjs';
import * as client from 'openid-client';

let config;
let tokens;
let refreshed;

await steps({
  discovery: async () => {
    config = await client.discovery(new URL(apiUrl), clientId, clientSecret, client.ClientSecretBasic(), {
      execute: [client.allowInsecureRequests],
    });
    const metadata = config.serverMetadata();
    check(metadata.issuer === apiUrl, `issuer ${metadata.issuer}`);
    check(metadata.revocation_endpoint === `${apiUrl}/v1/oauth/revoke`, `revocation_endpoint ${metadata.revocation_endpoint}`);
    tokens = await register('openid-client');
  },
  refresh: async () => {
    refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    check(typeof refreshed.access_token === 'string' && refreshed.access_token !== tokens.access_token, 'no new access token');
    check(typeof refreshed.refresh_token === 'string' && refreshed.refresh_token !== tokens.refresh_token, 'refresh token not rotated');
    check(refreshed.token_type.toLowerCase() === 'bearer', `token_type ${refreshed.token_type}`);
  },
  'refresh with an unknown token surfaces invalid_grant': async () => {
    await expectInvalidGrant('not-a-refresh-token');
  },
  introspection: async () => {
    const access = await client.tokenIntrospection(config, refreshed.access_token);
    check(access.active === true && access.token_type === 'access_token', `access token: ${JSON.stringify(access)}`);
    check(access.aud === 'checkout' && typeof access.sub === 'string', `claims: ${JSON.stringify(access)}`);
    const refresh = await client.tokenIntrospection(config, refreshed.refresh_token);
    check(refresh.active === true && refresh.sid === access.sid, `refresh token: ${JSON.stringify(refresh)}`);
  },
  revocation: async () => {
    await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
    const access = await client.tokenIntrospection(config, refreshed.access_token);
    check(access.active === false, `access token of the revoked session still active: ${JSON.stringify(access)}`);
    // RFC 7009 §2.2: an unknown token is not an error.
    await client.tokenRevocation(config, 'not-a-token');
  },
  'refresh with the revoked token surfaces invalid_grant': async () => {
    await expectInvalidGrant(refreshed.refresh_token);
  },
});

async function expectInvalidGrant(refreshToken) {
  try {
    await client.refreshTokenGrant(config, refreshToken);
  } catch (error) {
    check(error instanceof client.ResponseBodyError, `${error?.name} ${error?.code}: ${error?.message}`);
    check(error.error === 'invalid_grant' && error.status === 400, `error ${error.error}, status ${error.status}`);
    return;
  }
  throw new Error('the refresh succeeded');
}
