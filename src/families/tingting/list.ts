/**
 * GET /api/v1/auths/list/send-otps/?limit=&offset=: the caller's TingTing sends, newest first,
 * paged like DRF's LimitOffsetPagination (a bad limit or offset falls back to the default rather
 * than failing; next/previous are absolute URLs, previous drops offset on the first page).
 * One row per send (a resend is a row), showing the text as delivered and the plain code.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Gateway } from '../../gateway.ts';
import { countMessages, listMessages } from '../../store/messages.ts';
import type { Message } from '../../store/schema.ts';
import { verificationsOfMessages } from '../../store/verifications.ts';
import { redactedBody, unmaskCode } from '../../verify/codemask.ts';
import { principalOf } from './principal.ts';
import * as S from './schemas.ts';

export const LIST_PATH = '/api/v1/auths/list/send-otps/';
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

/** DRF's _positive_int: digits only, else the fallback; capped. */
function positive(raw: unknown, fallback: number, o: { strict: boolean; cap?: number }): number {
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw.trim())) return fallback;
  const n = Number(raw.trim());
  if (n === 0 && o.strict) return fallback;
  return o.cap !== undefined ? Math.min(n, o.cap) : n;
}

/** ISO 8601 in a fixed UTC offset, as Django prints it: microseconds when non-zero, "Z" for UTC. */
export function localIso(ms: number, offsetMinutes: number): string {
  const shifted = new Date(ms + offsetMinutes * 60_000).toISOString();
  const fraction = ms % 1000 === 0 ? '' : `.${shifted.slice(20, 23)}000`;
  const base = `${shifted.slice(0, 19)}${fraction}`;
  if (offsetMinutes === 0) return `${base}Z`;
  const a = Math.abs(offsetMinutes);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${base}${offsetMinutes < 0 ? '-' : '+'}${two(Math.floor(a / 60))}:${two(a % 60)}`;
}

function pageUrl(req: FastifyRequest, limit: number, offset: number): string {
  const [path, qs] = req.url.split('?');
  const q = new URLSearchParams(qs ?? '');
  q.set('limit', String(limit));
  if (offset > 0) q.set('offset', String(offset));
  else q.delete('offset');
  return `${req.protocol}://${req.host}${path}?${q.toString()}`;
}

interface VerificationBits {
  /** Null when the sealed code cannot be opened (the row is listed with its code hidden). */
  code: string | null;
  meta: Record<string, unknown>;
}

export async function listRoutes(app: FastifyInstance, gw: Gateway): Promise<void> {
  const db = gw.store.db;

  async function verificationsOf(accountId: string, rows: Message[]): Promise<Map<string, VerificationBits>> {
    const vs = await verificationsOfMessages(db, rows, accountId);
    return new Map([...vs.values()].map((v) => [v.id, { code: gw.verify.tryRevealCode(v), meta: v.meta ? (JSON.parse(v.meta) as Record<string, unknown>) : {} }]));
  }

  app.get(
    LIST_PATH,
    {
      // DRF's paginator ignores bad limit/offset values instead of rejecting them.
      validatorCompiler: () => (data: unknown) => ({ value: data }),
      schema: {
        tags: ['tingting'],
        summary: 'OTPs sent through the TingTing API, newest first',
        security: [{ bearer: [] }],
        querystring: S.ListQuery,
        response: { 200: S.ListOut, 401: S.Detail401 },
      },
    },
    async (req) => {
      const { account } = principalOf(req);
      const q = (req.query ?? {}) as Record<string, unknown>;
      const limit = positive(q.limit, DEFAULT_LIMIT, { strict: true, cap: MAX_LIMIT });
      const offset = positive(q.offset, 0, { strict: false });
      const [count, rows] = await Promise.all([
        countMessages(db, account.id, 'tingting'),
        listMessages(db, { accountId: account.id, family: 'tingting', limit, offset }),
      ]);
      const vs = await verificationsOf(account.id, rows);
      // TingTing's ids are small integers (typed clients read them as int): a send's position among
      // the account's TingTing sends, oldest = 1. Ids are time-ordered and rows are never deleted,
      // so the number is stable; counting up to the page's newest row keeps it exact under new sends.
      const newest = rows.length > 0 ? await countMessages(db, account.id, 'tingting', rows[0].id) : 0;
      const data = rows.map((m, i) => {
        const v = m.verification_id ? vs.get(m.verification_id) : undefined;
        return {
          id: newest - i,
          phone_number: m.to_number.startsWith('+977') ? m.to_number.slice(4) : m.to_number,
          message: v?.code ? unmaskCode(m.body, v.code) : redactedBody(m.body),
          otp: v?.code ?? '',
          otp_options: String(v?.meta.otp_options ?? 'generated'),
          sms_send_options: m.channel === 'voice' ? 'voice' : 'text', // per send: a resend may change the channel
          created_at: localIso(m.created_at, account.utc_offset_minutes),
        };
      });
      return {
        count,
        total_pages: Math.ceil(count / limit),
        next: offset + limit < count ? pageUrl(req, limit, offset + limit) : null,
        previous: offset > 0 ? pageUrl(req, limit, offset - limit) : null,
        results: { status: 200, success: true, errors: [], data },
      };
    },
  );
}
