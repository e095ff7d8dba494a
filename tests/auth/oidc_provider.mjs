// A real OpenID Provider for the tests: node's oidc-provider (certified), configured from the environment.
//
//   OIDC_TEST_PORT      the loopback port to listen on
//   OIDC_TEST_ISSUER    the issuer (http://127.0.0.1:<port>)
//   OIDC_TEST_CLIENT    JSON: {client_id, client_secret, redirect_uris, post_logout_redirect_uris}
//   OIDC_TEST_ACCOUNTS  a JSON file {sub: {email, email_verified, name}}, read at every login (tests change it)
//   OIDC_TEST_ID_TOKEN_TTL  seconds an ID token is valid (default 60)
//
// Logins use oidc-provider's development interactions (any login name is the account's sub, any password);
// consent is granted at once. For the refusal tests, POST /__test/tamper with {"mode": ...} alters the NEXT
// token response: "signature" changes the ID token's payload and keeps its signature, "forged" re-signs it with
// another key under the same kid. Prints "listening" when ready.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_TEST_PORT);
const issuer = process.env.OIDC_TEST_ISSUER;
const client = JSON.parse(process.env.OIDC_TEST_CLIENT);
const accountsFile = process.env.OIDC_TEST_ACCOUNTS;
const idTokenTtl = Number(process.env.OIDC_TEST_ID_TOKEN_TTL || 60);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    ...client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['test-cookie-key-not-secret'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the e-mail claims in the ID token, as Keycloak and Entra ID send them
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  ttl: { IdToken: idTokenTtl, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
  async findAccount(ctx, sub) {
    const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
    const account = accounts[sub] || {};
    return { accountId: sub, async claims() { return { sub, ...account }; } };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

let tamper = null;
const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/tamper' && ctx.method === 'POST') {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    tamper = JSON.parse(Buffer.concat(chunks).toString('utf8')).mode;
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/token' && tamper && ctx.body && ctx.body.id_token) {
    const [header, payload, signature] = ctx.body.id_token.split('.');
    const claims = b64json(payload);
    if (tamper === 'signature') {
      claims.email = 'mallory@example.se';
      ctx.body.id_token = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    } else if (tamper === 'forged') {
      ctx.body.id_token = await new jose.SignJWT(claims)
        .setProtectedHeader(b64json(header))
        .sign(otherKey);
    }
    tamper = null;
  }
});

// The test process holds our stdin: when it ends (even killed), so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write('listening\n');
});
