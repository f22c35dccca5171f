import { createSecretKey } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, JWTPayload, jwtVerify, JWTVerifyGetKey, SignJWT } from "jose";
import { Config } from "../config";
import { UnauthenticatedError } from "../errors";

/** What a verified bearer token says about its holder (R1). */
export interface Claims {
  sub: string;
  email: string;
  name: string | null;
  scopes: ReadonlySet<string>;
}

export type TokenVerifier = (token: string) => Promise<Claims>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** How long a verified token is taken on its word again without a signature check, and how many are kept. */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * R1: HS256 with JWT_SECRET, RS256/ES256 against JWT_JWKS_URL, issuer and audience checked when set.
 * Every failure is the same UNAUTHENTICATED, so a caller learns nothing about why a token was refused.
 * A token that verified is remembered by its exact text for a minute, never past its own `exp`, so a
 * client's next requests skip the signature check; a refused token is never remembered.
 */
export function createTokenVerifier(config: Config["jwt"]): TokenVerifier {
  const secret = config.secret ? createSecretKey(Buffer.from(config.secret, "utf8")) : null;
  const jwks: JWTVerifyGetKey | null = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : null;
  const options = {
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  const verified = new Map<string, { claims: Claims; until: number }>();
  return async (token) => {
    const now = Date.now();
    const known = verified.get(token);
    if (known && now < known.until) return known.claims;
    if (known) verified.delete(token);
    let payload: JWTPayload;
    try {
      const { alg } = decodeProtectedHeader(token);
      if (alg === "HS256" && secret) {
        ({ payload } = await jwtVerify(token, secret, { ...options, algorithms: ["HS256"] }));
      } else if ((alg === "RS256" || alg === "ES256") && jwks) {
        ({ payload } = await jwtVerify(token, jwks, { ...options, algorithms: ["RS256", "ES256"] }));
      } else {
        throw new Error(`unaccepted algorithm ${alg}`);
      }
    } catch {
      throw new UnauthenticatedError("The bearer token is invalid or expired.");
    }
    // R1: a token without `exp` would never expire, and one may not live longer than JWT_MAX_TTL.
    if (typeof payload.exp !== "number") throw new UnauthenticatedError("The bearer token needs an `exp` claim.");
    const issuedAt = typeof payload.iat === "number" ? payload.iat : Math.floor(now / 1000);
    if (payload.exp - issuedAt > config.maxTtlSeconds) {
      throw new UnauthenticatedError(`The bearer token lives longer than the ${config.maxTtlSeconds} s this server accepts (JWT_MAX_TTL).`);
    }
    const claims = claimsOf(payload);
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(token, { claims, until: Math.min(now + VERIFIED_TOKEN_TTL_MS, payload.exp * 1000) });
    return claims;
  };
}

function claimsOf(payload: JWTPayload): Claims {
  const email = typeof payload.email === "string" ? payload.email.trim().toLowerCase() : "";
  if (!payload.sub || !EMAIL.test(email) || email.length > 254) {
    throw new UnauthenticatedError("The bearer token needs `sub` and a valid `email` claim.");
  }
  const name = typeof payload.name === "string" && payload.name.trim() ? payload.name.trim().slice(0, 100) : null;
  const scopes = new Set(typeof payload.scope === "string" ? payload.scope.split(/\s+/).filter(Boolean) : []);
  return { sub: payload.sub, email, name, scopes };
}

/** Signs an HS256 token: for `npm run token`, the demo and the tests. */
export async function signToken(
  secret: string,
  claims: { email: string; name?: string; scope?: string; sub?: string },
  options: { expiresIn?: string; issuer?: string | null; audience?: string | null } = {},
): Promise<string> {
  let jwt = new SignJWT({
    email: claims.email,
    ...(claims.name ? { name: claims.name } : {}),
    ...(claims.scope ? { scope: claims.scope } : {}),
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub ?? `user:${claims.email}`)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "12h");
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
