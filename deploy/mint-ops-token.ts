/**
 * Mints the long-lived `ops` JWT that Prometheus presents to the cloud's `/metrics` (SPEC section 3: the
 * ops role may read health and metrics, and may not buy or edit anything). Only for the HS256 set-up:
 * with AUTH_JWKS_URL the identity provider issues the token instead.
 *
 * Run where AUTH_JWT_SECRET is set, e.g. inside a cloud pod:
 *   node dist/tools/mint-ops-token.mjs --days 90 > token   (in the image)
 *   npx tsx deploy/mint-ops-token.ts --days 90             (in a checkout)
 * The token goes to stdout only; store it in the Secret that Prometheus mounts as its bearer token file.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

/** What the token says and how long it lasts. */
export interface OpsTokenOptions {
  secret: string;
  issuer: string;
  audience: string;
  /** Lifetime in days (1..366). */
  days: number;
  /** `sub` claim: who scrapes (default "prometheus"). */
  subject?: string;
  /** Unix seconds; defaults to now. */
  now?: number;
}

const ID_CLAIM = /^[A-Za-z0-9._:@|-]{1,128}$/;

/** Signs an HS256 `ops` token for the platform tenant. Throws on any bad option. */
export async function mintOpsToken(options: OpsTokenOptions): Promise<string> {
  if (options.secret.length < 32) throw new Error('AUTH_JWT_SECRET must be at least 32 characters');
  if (!Number.isInteger(options.days) || options.days < 1 || options.days > 366) {
    throw new Error('--days must be a whole number from 1 to 366');
  }
  const subject = options.subject ?? 'prometheus';
  if (!ID_CLAIM.test(subject)) throw new Error('--subject: letters, digits and . _ : @ | - only');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ tid: 'platform', role: 'ops' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setJti(randomUUID())
    .setExpirationTime(now + options.days * 86_400)
    .sign(new TextEncoder().encode(options.secret));
}

function argument(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (env['AUTH_JWKS_URL'])
    throw new Error('AUTH_JWKS_URL is set: ask the identity provider for the ops token');
  const secret = env['AUTH_JWT_SECRET'];
  if (!secret) throw new Error('AUTH_JWT_SECRET is not set');
  const token = await mintOpsToken({
    secret,
    issuer: env['AUTH_ISSUER'] || 'tickets-dev',
    audience: env['AUTH_AUDIENCE'] || 'tickets-api',
    days: Number(argument(argv, '--days') ?? '90'),
    ...(argument(argv, '--subject') ? { subject: argument(argv, '--subject') as string } : {}),
  });
  process.stdout.write(`${token}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2), process.env).catch((error: unknown) => {
    process.stderr.write(`mint-ops-token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
