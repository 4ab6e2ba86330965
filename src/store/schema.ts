/**
 * Table types for Kysely. Instants are epoch milliseconds and money is integer micro-units
 * (both dialects store them as 64-bit integers), so no code outside store/ knows the dialect.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface AccountsTable {
  id: string;
  name: string;
  default_region: string;
  /** Micro-units. */
  balance: number;
  currency: string;
  /** UTC offset in minutes, used where a vendor API shows local times (TingTing: +345). */
  utc_offset_minutes: number;
  webhook_url: string | null;
  webhook_secret: string | null;
  /** Body shape of this account's webhooks: 'native' | 'bitel'. */
  webhook_format: string;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  /** 'native' | 'tingting' | 'bitel' | '*' (every family). */
  family: string;
  /** SHA-256 hex of the key (keys are 190+ bits random, so a fast hash is enough). */
  hash: string;
  last4: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface VerificationsTable {
  id: string;
  account_id: string;
  family: string;
  to_number: string;
  channel: string;
  status: string;
  code_hash: string;
  /** AES-GCM sealed code: a resend repeats it and vendor APIs echo it; never logged. */
  code_sealed: string;
  locale: string;
  app_name: string | null;
  template: string | null;
  attempts: number;
  max_attempts: number;
  send_count: number;
  max_sends: number;
  last_sent_at: number;
  expires_at: number;
  created_at: number;
  updated_at: number;
  /** JSON of family extras (TingTing otp_options, company_name, …). */
  meta: string | null;
}

export interface MessagesTable {
  id: string;
  account_id: string;
  verification_id: string | null;
  family: string;
  to_number: string;
  from_number: string | null;
  channel: string;
  locale: string;
  /** The rendered text with the code masked (src/verify/codemask.ts); the dispatcher fills it in at send time. */
  body: string;
  encoding: string;
  segments: number;
  price: number;
  status: string;
  provider: string | null;
  provider_message_id: string | null;
  attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  deadline_at: number;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  final_at: number | null;
  bill_sec: number | null;
  meta: string | null;
}

export interface MessageEventsTable {
  id: Generated<number>;
  message_id: string;
  status: string;
  at: number;
  provider: string | null;
  detail: string | null;
}

export interface LedgerTable {
  id: Generated<number>;
  account_id: string;
  amount: number;
  reason: string;
  message_id: string | null;
  at: number;
}

export interface IdempotencyTable {
  account_id: string;
  key: string;
  request_hash: string;
  response: string;
  created_at: number;
}

export interface InboxTable {
  id: Generated<number>;
  message_id: string;
  to_number: string;
  channel: string;
  text: string;
  locale: string;
  encoding: string;
  segments: number;
  created_at: number;
}

export interface PendingReceiptsTable {
  provider: string;
  provider_message_id: string;
  outcome: string;
  error_code: string | null;
  bill_sec: number | null;
  at: number;
}

/** One webhook to deliver: written in the transaction of the status change it reports. */
export interface WebhookOutboxTable {
  id: Generated<number>;
  account_id: string;
  /** 'message.status' | 'verification.status' */
  event: string;
  /** The message or verification id: deliveries of one subject go out in id order. */
  subject_id: string;
  status: string;
  /** 'native' | 'bitel': how the worker turns payload into the body. */
  format: string;
  /** JSON built at enqueue time (the native body lacks only its delivery id). */
  payload: string;
  url: string;
  attempts: number;
  /** Due time; while a delivery is in flight, its lease expiry. */
  next_attempt_at: number;
  /** 'pending' | 'delivered' | 'dead' */
  state: string;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** Deployment-wide values every instance reads the same (the server secret when not in the environment). */
export interface SettingsTable {
  key: string;
  value: string;
}

/** A cluster-wide slot held by one instance until expires_at (epoch ms) unless renewed (store/leases.ts). */
export interface ClusterLeasesTable {
  name: string;
  holder: string;
  expires_at: number;
  acquired_at: number;
}

export interface Database {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  verifications: VerificationsTable;
  messages: MessagesTable;
  message_events: MessageEventsTable;
  ledger: LedgerTable;
  idempotency: IdempotencyTable;
  inbox: InboxTable;
  pending_receipts: PendingReceiptsTable;
  webhook_outbox: WebhookOutboxTable;
  settings: SettingsTable;
  cluster_leases: ClusterLeasesTable;
}

export type Account = Selectable<AccountsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type Verification = Selectable<VerificationsTable>;
export type NewVerification = Insertable<VerificationsTable>;
export type Message = Selectable<MessagesTable>;
export type NewMessage = Insertable<MessagesTable>;
export type MessageUpdate = Updateable<MessagesTable>;
export type MessageEvent = Selectable<MessageEventsTable>;
export type InboxEntry = Selectable<InboxTable>;
export type WebhookDelivery = Selectable<WebhookOutboxTable>;
export type NewWebhookDelivery = Insertable<WebhookOutboxTable>;
