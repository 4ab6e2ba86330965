/**
 * Table types for Kysely. Instants are epoch milliseconds and money is integer micro-units
 * (both dialects store them as 64-bit integers), so no code outside store/ knows the dialect.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

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
  /** Body shape of this account's webhooks: 'native' | 'bitel' | 'vonage'. */
  webhook_format: string;
  /** JSON array of the status changes the webhook receives (src/core/webhook-events.ts); null = all. */
  webhook_events: string | null;
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
  /** An operator's words for a manual credit or debit (migration 005_fidelity). */
  note: string | null;
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
  /** The destination the receipt named (digits), when it did (004_receipts). */
  to_number: ColumnType<string | null, string | null | undefined, string | null>;
  /** One receipt parked under several keys (auto id format) shares this; applied once. */
  ref: ColumnType<string | null, string | null | undefined, string | null>;
}

/**
 * One part of a message as a carrier accepted it (004_receipts): recorded as its answer
 * arrives; receipts are matched here by (provider, carrier_key, destination), open parts only.
 */
export interface MessagePartsTable {
  id: Generated<number>;
  message_id: string;
  /** The message's attempt that sent it. */
  attempt: number;
  /** 1-based, of `total`. */
  part: number;
  total: number;
  provider: string;
  /** The id as the carrier wrote it. */
  provider_message_id: string;
  /** The key receipts name it by (SMPP: ids.ts idKey). */
  carrier_key: string;
  /** Destination digits, no '+'. */
  to_number: string;
  /** null while open; then the receipt's outcome (delivered, undelivered, no_answer, busy). */
  outcome: string | null;
  error_code: string | null;
  created_at: number;
  final_at: number | null;
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

/**
 * Credentials of the vendor families (migration 009_vendors), each mapped to an otpgate account:
 * Twilio Account SIDs (AC…) with their auth token and API keys (SK…) with their secret; Vonage
 * API keys with their secret and applications with the public key their JWTs are checked with.
 */
export interface VendorCredentialsTable {
  /** What the client sends as user name or claim: AC…/SK… sid, Vonage api_key or application_id. */
  id: string;
  account_id: string;
  /** 'twilio' | 'vonage' */
  family: string;
  /** 'account' (Twilio AC), 'api_key' (Twilio SK, Vonage key), 'application' (Vonage, JWT). */
  kind: string;
  /** A Twilio API key's Account SID (the account_sid of its answers); null otherwise. */
  owner_sid: string | null;
  /** SHA-256 hex of the secret (auth token, key secret); null for applications. */
  secret_hash: string | null;
  /** SPKI PEM of a Vonage application's RS256 key; null otherwise. */
  public_key: string | null;
  created_at: number;
  revoked_at: number | null;
}

/** A Twilio Verify Service: the per-application settings of the Twilio family (code length, name). */
export interface TwilioServicesTable {
  /** VA + 32 hex. */
  sid: string;
  account_id: string;
  /** The AC sid shown as account_sid. */
  account_sid: string;
  friendly_name: string;
  code_length: number;
  /** JSON of the boolean and string settings Twilio echoes back (custom_code_enabled, …). */
  settings: string;
  created_at: number;
  updated_at: number;
}

/** A destination prefix blocked for suspected SMS pumping (src/abuse/): listable and liftable. */
export interface AbuseBlocksTable {
  id: string;
  /** The account it blocks, or '*' for every account. */
  account_id: string;
  /** Leading digits of the E.164 number, without '+'. */
  prefix: string;
  /** 'low_conversion' | 'delivery_failures' | 'velocity' | 'accounts' (global) */
  reason: string;
  /** JSON of the figures that triggered it (sent, approved, conversion, …). */
  figures: string;
  created_at: number;
  expires_at: number;
  lifted_at: number | null;
  lifted_by: string | null;
}

/** An account's abuse overrides (limits, geo, high-risk allowances, spend caps) as JSON. */
export interface AbuseSettingsTable {
  account_id: string;
  settings: string;
  updated_at: number;
}

/** Numbers with a fixed code: accepted and recorded, never sent, never charged, never limited. */
export interface TestNumbersTable {
  account_id: string;
  /** E.164. */
  number: string;
  code: string;
  created_at: number;
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
  message_parts: MessagePartsTable;
  vendor_credentials: VendorCredentialsTable;
  twilio_services: TwilioServicesTable;
  abuse_blocks: AbuseBlocksTable;
  abuse_settings: AbuseSettingsTable;
  test_numbers: TestNumbersTable;
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
export type MessagePart = Selectable<MessagePartsTable>;
export type WebhookDelivery = Selectable<WebhookOutboxTable>;
export type NewWebhookDelivery = Insertable<WebhookOutboxTable>;
export type VendorCredential = Selectable<VendorCredentialsTable>;
export type TwilioService = Selectable<TwilioServicesTable>;
export type AbuseBlock = Selectable<AbuseBlocksTable>;
export type TestNumber = Selectable<TestNumbersTable>;
