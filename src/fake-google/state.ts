/**
 * The fake's memory of the world: accounts, refresh tokens, access tokens, authorization codes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { knownModelNames } from './models.ts';
import type {
  AccountHandle,
  AccountSpec,
  CreditBalance,
  ModelQuota,
  QuotaBucket,
  Tier,
  UserProjectHeaderMode,
} from './types.ts';

export interface AccountRecord {
  email: string;
  name: string;
  /** Stable numeric-string id, like Google's `sub`. */
  id: string;
  projectId: string | null;
  tier: Tier;
  quotas: Map<string, ModelQuota>;
  buckets: QuotaBucket[] | undefined;
  rotateRefreshTokens: boolean;
  /** The refresh token handed out most recently (several may be valid at once, e.g. after two logins). */
  currentRefreshToken: string | undefined;
  userProjectHeader: UserProjectHeaderMode;
  credits: Required<CreditBalance> | undefined;
}

/** Fills in the defaults of a credit balance (minimum 50 as CLIProxyAPI records it, 1 credit per request). */
export function creditBalance(spec: CreditBalance): Required<CreditBalance> {
  return { amount: spec.amount, minimumForUsage: spec.minimumForUsage ?? 50, perRequest: spec.perRequest ?? 1 };
}

interface AccessTokenRecord {
  email: string;
  expiresAt: number;
}

export interface AuthorizationCode {
  email: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  expiresAt: number;
}

export const defaultScope = [
  'openid',
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
  'https://www.googleapis.com/auth/cclog',
  'https://www.googleapis.com/auth/experimentsandconfigs',
].join(' ');

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The project id an account gets when none is given, or when it is onboarded. */
export function projectIdFor(email: string): string {
  return `fake-project-${digest(email).slice(0, 8)}`;
}

export class FakeState {
  readonly accounts = new Map<string, AccountRecord>();
  private readonly refreshTokens = new Map<string, string>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly codes = new Map<string, AuthorizationCode>();
  loginAccount: string | null | undefined;
  private counter = 0;
  private readonly salt = randomBytes(6).toString('hex');
  private readonly now: () => number;
  readonly accessTokenLifetimeSeconds: number;

  constructor(now: () => number, accessTokenLifetimeSeconds: number) {
    this.now = now;
    this.accessTokenLifetimeSeconds = accessTokenLifetimeSeconds;
  }

  addAccount(spec: AccountSpec): AccountHandle {
    const email = spec.email;
    const existing = this.accounts.get(email);
    const quotas = new Map<string, ModelQuota>(existing?.quotas);
    for (const [model, quota] of Object.entries(spec.quotas ?? {})) quotas.set(model, quota);
    const record: AccountRecord = {
      email,
      name: spec.name ?? existing?.name ?? email.split('@')[0]!,
      id: BigInt(`0x${digest(email).slice(0, 15)}`).toString(),
      projectId: spec.projectId === undefined ? (existing?.projectId ?? projectIdFor(email)) : spec.projectId,
      tier: spec.tier ?? existing?.tier ?? 'PRO',
      quotas,
      buckets: spec.buckets ?? existing?.buckets,
      rotateRefreshTokens: existing?.rotateRefreshTokens ?? false,
      currentRefreshToken: spec.refreshToken,
      userProjectHeader: spec.userProjectHeader ?? existing?.userProjectHeader ?? 'accepted',
      credits:
        spec.credits === undefined
          ? existing?.credits
          : spec.credits === null
            ? undefined
            : creditBalance(spec.credits),
    };
    this.accounts.set(email, record);
    this.refreshTokens.set(spec.refreshToken, email);
    if (this.loginAccount === undefined) this.loginAccount = email;
    return this.handle(email);
  }

  handle(email: string): AccountHandle {
    return {
      email,
      refreshToken: () => this.accounts.get(email)?.currentRefreshToken,
      projectId: () => this.accounts.get(email)?.projectId ?? null,
      mintAccessToken: (lifetimeSeconds?: number) => this.issueAccessToken(email, lifetimeSeconds),
    };
  }

  requireAccount(email: string): AccountRecord {
    const account = this.accounts.get(email);
    if (account === undefined) throw new Error(`fake-google: no account ${email}`);
    return account;
  }

  private nextId(): string {
    this.counter++;
    return `${this.salt}${this.counter.toString(36)}`;
  }

  issueAccessToken(email: string, lifetimeSeconds = this.accessTokenLifetimeSeconds): string {
    const token = `ya29.fake-${this.nextId()}`;
    this.accessTokens.set(token, { email, expiresAt: this.now() + lifetimeSeconds * 1000 });
    return token;
  }

  issueRefreshToken(email: string): string {
    const token = `1//fake-refresh-${this.nextId()}`;
    this.refreshTokens.set(token, email);
    this.requireAccount(email).currentRefreshToken = token;
    return token;
  }

  issueCode(code: Omit<AuthorizationCode, 'expiresAt'>): string {
    const value = `4/fake-code-${this.nextId()}`;
    this.codes.set(value, { ...code, expiresAt: this.now() + 10 * 60 * 1000 });
    return value;
  }

  /** The account an access token belongs to, or undefined when unknown or expired on the fake's clock. */
  emailForAccessToken(token: string): string | undefined {
    const record = this.accessTokens.get(token);
    if (record === undefined || this.now() >= record.expiresAt) return undefined;
    return record.email;
  }

  emailForRefreshToken(token: string): string | undefined {
    return this.refreshTokens.get(token);
  }

  revokeRefreshToken(token: string): boolean {
    return this.refreshTokens.delete(token);
  }

  /** Revokes every access token of an account (what Google does when the refresh token is revoked too). */
  revokeAccessTokens(email: string): void {
    for (const [token, record] of this.accessTokens) if (record.email === email) this.accessTokens.delete(token);
  }

  quotaFor(account: AccountRecord, model: string): ModelQuota {
    return account.quotas.get(model) ?? { remainingFraction: 1, resetTime: this.isoAfter(5 * 3600) };
  }

  bucketsFor(account: AccountRecord): QuotaBucket[] {
    if (account.buckets !== undefined) return account.buckets;
    const weekly = this.isoAfter(7 * 24 * 3600);
    const fiveHours = this.isoAfter(5 * 3600);
    return [
      { bucketId: 'gemini-weekly', window: 'weekly', remainingFraction: 1, resetTime: weekly },
      { bucketId: 'gemini-5h', window: '5h', remainingFraction: 1, resetTime: fiveHours },
      { bucketId: '3p-weekly', window: 'weekly', remainingFraction: 1, resetTime: weekly },
      { bucketId: '3p-5h', window: '5h', remainingFraction: 1, resetTime: fiveHours },
    ];
  }

  /** Seconds from now as Google's ISO form without milliseconds. */
  isoAfter(seconds: number): string {
    return new Date(this.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  clear(): void {
    this.accounts.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.codes.clear();
    this.loginAccount = undefined;
  }

  modelNames(): readonly string[] {
    return knownModelNames;
  }
}
