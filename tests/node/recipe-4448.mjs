import { createServer } from "node:http";
import * as client from "openid-client";

const env = process.env;
const redirectUri = "http://localhost:1717/OauthRedirect"; // one of the app's callback URLs
const config = await client.discovery(
  new URL(env.FORCEGATE_URL),
  env.FORCEGATE_CONSUMER_KEY,
  env.FORCEGATE_CONSUMER_SECRET,
);
const codeVerifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: "openid api",
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: "S256",
  state,
});
console.error("Open this URL in a browser and log in:");
console.error(authorizationUrl.href);

// The browser comes back to the loopback server with ?code=…&state=…
const callbackUrl = await new Promise((resolve) => {
  const server = createServer((request, response) => {
    response.end("You can close this window.");
    server.close();
    resolve(new URL(request.url, redirectUri));
  }).listen(1717, "localhost");
});
const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
  pkceCodeVerifier: codeVerifier,
  expectedState: state,
});
const claims = tokens.claims(); // the ID token, its signature checked against forcegate's /id/keys
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
console.log(userinfo.preferred_username);
