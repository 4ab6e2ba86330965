/** `otpgate messages list|show`: the console's message search and history, read from the database. */
import type { Kysely } from 'kysely';
import { countryOf } from '../metrics/country.ts';
import { messageHistory, searchMessages, type MessageSearch } from '../store/console.ts';
import { getMessageById } from '../store/messages.ts';
import type { Database } from '../store/schema.ts';
import { redactedBody } from '../verify/codemask.ts';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** One line per message, newest first: time, id, number, country, status, provider, family/channel. */
export async function listMessagesReport(db: Kysely<Database>, f: MessageSearch): Promise<string[]> {
  const rows = await searchMessages(db, f);
  return rows.map((m) => [iso(m.created_at), m.id, m.to_number, countryOf(m.to_number), m.status.padEnd(11), m.provider ?? '-', `${m.family}/${m.channel}`].join('  '));
}

/** A message, its status history and its webhook deliveries; undefined when there is no such message. */
export async function showMessageReport(db: Kysely<Database>, id: string): Promise<string | undefined> {
  const m = await getMessageById(db, id);
  if (!m) return undefined;
  const { events, webhooks } = await messageHistory(db, m);
  const lines = [
    `message ${m.id} (${m.status})`,
    `  to ${m.to_number} (${countryOf(m.to_number)}), ${m.family}/${m.channel}, account ${m.account_id}, verification ${m.verification_id ?? '-'}`,
    `  provider ${m.provider ?? '-'} id ${m.provider_message_id ?? '-'}, ${m.encoding} ${m.segments} segment(s), price ${m.price}`,
    ...(m.error_code ? [`  error ${m.error_code}${m.error_message ? `: ${m.error_message}` : ''}`] : []),
    `  text: ${redactedBody(m.body)}`,
    'history:',
    ...events.map((e) => `  ${iso(e.at)}  ${e.status.padEnd(11)} ${e.provider ?? ''} ${e.detail ?? ''}`.trimEnd()),
    'webhooks:',
    ...(webhooks.length ? webhooks.map((w) => `  #${w.id} ${w.event} ${w.status} → ${w.url}  ${w.state} after ${w.attempts} attempt(s)${w.last_error ? ` (${w.last_error})` : ''}`) : ['  none']),
  ];
  return lines.join('\n');
}
