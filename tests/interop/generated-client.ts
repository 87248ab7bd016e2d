// A client generated from /openapi/v1.json by openapi-typescript, used through openapi-fetch: every path, body
// and response type below comes from the document, so this file compiles only if the document describes them.
import createClient from 'openapi-fetch';
import type { paths } from './generated/schema.js';

export async function registerRefreshLogout(baseUrl: string, clientId: string, clientSecret: string, shopId: number): Promise<string[]> {
  const api = createClient<paths>({ baseUrl });
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  const done: string[] = [];

  const registered = await api.POST('/v1/auth/register', {
    headers: { Authorization: basic },
    body: {
      first_name: 'Generated',
      last_name: 'Client',
      email: `generated-${Date.now()}@interop.example`,
      password: 'violet staircase umbrella 42',
      shop_id: shopId,
    },
  });
  if (!registered.data) {
    throw new Error(`register: ${registered.response.status} ${registered.error?.error}`);
  }
  done.push('register');

  const refreshed = await api.POST('/v1/oauth/token', {
    headers: { Authorization: basic },
    body: { grant_type: 'refresh_token', refresh_token: registered.data.refresh_token },
  });
  if (!refreshed.data) {
    throw new Error(`refresh: ${refreshed.response.status} ${refreshed.error?.error}`);
  }
  if (refreshed.data.refresh_token === registered.data.refresh_token) {
    throw new Error('refresh: the refresh token was not rotated');
  }
  done.push('refresh');

  const bearer = { Authorization: `Bearer ${refreshed.data.access_token}` };
  const loggedOut = await api.POST('/v1/auth/logout', { headers: bearer, body: { scope: 'local' } });
  if (loggedOut.response.status !== 204) {
    throw new Error(`logout: ${loggedOut.response.status} ${loggedOut.error?.error}`);
  }
  done.push('logout');

  // The error body is typed from the document's problem schema.
  const validated = await api.GET('/v1/oauth/token/validate', { headers: bearer });
  if (validated.response.status !== 401 || validated.error?.error !== 'invalid_token') {
    throw new Error(`validate after logout: ${validated.response.status} ${validated.error?.error}`);
  }
  done.push('validate after logout is invalid_token');
  return done;
}
