/**
 * Console sessions: the console logs in once with the admin password and then holds an httpOnly, SameSite=Strict
 * cookie, so no password lives in browser storage. Sessions are random 256-bit ids kept in memory with a TTL
 * (a restart logs the console out), bounded in number.
 */
import { randomBytes } from 'node:crypto';

export const sessionCookieName = 'agw_session';

export interface AdminSessions {
  create(): { id: string; cookie: string };
  isValid(cookieHeader: string | undefined): boolean;
  revoke(cookieHeader: string | undefined): string;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export function createAdminSessions(options: {
  now: () => number;
  ttlMs?: number;
  maxSessions?: number;
}): AdminSessions {
  const ttlMs = options.ttlMs ?? 12 * 60 * 60 * 1000;
  const maxSessions = options.maxSessions ?? 1000;
  const sessions = new Map<string, number>();
  const cookieFor = (id: string, maxAgeSeconds: number): string =>
    `${sessionCookieName}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}`;
  return {
    create() {
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, options.now() + ttlMs);
      if (sessions.size > maxSessions) sessions.delete(sessions.keys().next().value as string);
      return { id, cookie: cookieFor(id, Math.floor(ttlMs / 1000)) };
    },
    isValid(cookieHeader) {
      const id = readCookie(cookieHeader, sessionCookieName);
      if (id === undefined) return false;
      const expires = sessions.get(id);
      if (expires === undefined) return false;
      if (expires <= options.now()) {
        sessions.delete(id);
        return false;
      }
      return true;
    },
    revoke(cookieHeader) {
      const id = readCookie(cookieHeader, sessionCookieName);
      if (id !== undefined) sessions.delete(id);
      return cookieFor('', 0);
    },
  };
}
