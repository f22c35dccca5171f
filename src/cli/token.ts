/**
 * `npm run token -- <email> [--scope "orders:write"] [--name "Jane Doe"] [--expires 12h]`
 * prints an HS256 bearer token for the configured JWT_SECRET (or the development secret).
 */
import { loadConfig, usesDevSecret } from "../config";
import { signToken } from "../auth/identity";

async function main(argv: string[]): Promise<void> {
  const args = [...argv];
  const options: Record<string, string> = {};
  const positional: string[] = [];
  while (args.length) {
    const arg = args.shift() as string;
    if (arg.startsWith("--")) {
      const value = args.shift();
      if (value === undefined) throw new Error(`${arg} needs a value`);
      options[arg.slice(2)] = value;
    } else positional.push(arg);
  }
  const email = positional[0];
  if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new Error('usage: npm run token -- <email> [--scope "orders:write catalog:write"] [--name "Jane"] [--expires 12h]');
  }
  const config = loadConfig();
  if (!config.jwt.secret) throw new Error("JWT_SECRET is not set (tokens for a JWKS issuer come from that issuer).");
  if (usesDevSecret(config)) console.error("note: signing with the built-in development secret (set JWT_SECRET to change it)");
  const token = await signToken(
    config.jwt.secret,
    { email: email.toLowerCase(), name: options.name, scope: options.scope },
    { expiresIn: options.expires ?? "12h", issuer: config.jwt.issuer, audience: config.jwt.audience },
  );
  process.stdout.write(`${token}\n`);
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
