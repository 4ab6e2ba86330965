/**
 * SMPP provider config: what operators write under `providers.<name>` with `kind: smpp`,
 * validated once in the constructor (ProviderConfigError names the field and the fix).
 */
import { ProviderConfigError } from '../types.ts';
import { ID_FORMATS, type IdFormat } from './ids.ts';

export interface SmppConfig {
  host: string;
  /** Default 2775. */
  port?: number;
  /** At most 15 characters (SMPP v3.4). */
  system_id: string;
  /** At most 8 characters (SMPP v3.4). */
  password: string;
  /** Default '' (most SMSCs ignore it). */
  system_type?: string;
  /** 'transceiver' (one socket per bind, default) or 'transmitter_receiver' (two sockets per bind). */
  bind_mode?: 'transceiver' | 'transmitter_receiver';
  /** Parallel binds (sessions) to this SMSC; default 1. */
  binds?: number;
  /** Outstanding submit_sm per bind awaiting submit_sm_resp; default 10. */
  window?: number;
  /** Per-PDU response timeout (submit_sm, bind, enquire_link); also how long send() waits for a bind. Default 10000. */
  response_timeout_ms?: number;
  /** Messages per second per bind (submit_sm PDUs); 0 = no cap (default). */
  throughput?: number;
  /** Keep-alive interval; default 30000. */
  enquire_link_ms?: number;
  /** Reconnect backoff after a drop or a refused bind, doubling from min to max; default 1000 / 30000. */
  reconnect_min_ms?: number;
  reconnect_max_ms?: number;
  /** Pause of a bind after ESME_RTHROTTLED / ESME_RMSGQFUL, doubling while they repeat (cap 16×); default 1000. */
  throttle_backoff_ms?: number;
  /** Default sender when a message has no `from`. */
  source_addr?: string;
  /** Override the TON/NPI derived from the sender (alphanumeric → 5/0, numeric → 1/1). */
  source_ton?: number;
  source_npi?: number;
  /** Destination TON/NPI; default 1/1 (international, ISDN). */
  dest_ton?: number;
  dest_npi?: number;
  /** Long messages as UDH-concatenated parts (default) or one submit_sm with message_payload. */
  long_messages?: 'udh' | 'payload';
  /** registered_delivery; default 1 (receipt on final outcome). */
  registered_delivery?: number;
  /**
   * How this SMSC writes message ids in submit_sm_resp and in its receipts' text: 'hex',
   * 'decimal', 'string' (compared as text, ignoring case and leading zeros) or 'auto' (default:
   * every reading is tried, and a receipt is applied only when exactly one open message to its
   * destination matches). Kannel's msg-id-type maps as 0 = decimal/decimal, 1 = hex/decimal,
   * 2 = decimal/hex, 3 = hex/hex, unset = string/string. A receipted_message_id TLV is read like
   * the submit answer (SMPP v3.4 §5.3.2.12).
   */
  submit_id_format?: IdFormat;
  receipt_id_format?: IdFormat;
  /**
   * How many recently answered ids are remembered, so their receipts pass without waiting (a
   * receipt naming an id not seen yet waits up to response_timeout_ms + 1 s for its submit answer,
   * then goes to the store; in a cluster it goes at once, as it is often another instance's).
   * Default 100000.
   */
  receipt_memory?: number;
  /** Accepted for older configs; no longer used (matching is in the database). */
  receipt_memory_ms?: number;
}

export type ResolvedSmppConfig = Required<Omit<SmppConfig, 'source_addr' | 'source_ton' | 'source_npi' | 'receipt_memory_ms'>> &
  Pick<SmppConfig, 'source_addr' | 'source_ton' | 'source_npi'>;

export function resolveConfig(name: string, raw: SmppConfig): ResolvedSmppConfig {
  const fail = (field: string, fix: string): never => {
    throw new ProviderConfigError(name, field, fix);
  };
  if (raw === null || typeof raw !== 'object') fail('(config)', 'must be an object with host, system_id and password');
  const str = (field: keyof SmppConfig, max: number, required: boolean, dflt = ''): string => {
    const v = raw[field];
    if (v === undefined || v === null) {
      if (required) fail(field, 'is required');
      return dflt;
    }
    if (typeof v !== 'string') return fail(field, `must be a string, got ${typeof v}`);
    if (required && v.length === 0) fail(field, 'must not be empty');
    if (v.length > max) fail(field, `must be at most ${max} characters (SMPP v3.4 limit), got ${v.length}`);
    return v;
  };
  const int = (field: keyof SmppConfig, dflt: number, min: number, max: number): number => {
    const v = raw[field] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      fail(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const oneOf = <T extends string>(field: keyof SmppConfig, values: readonly T[]): T => {
    const v = raw[field] ?? values[0];
    if (!values.includes(v as T)) fail(field, `must be one of ${values.map((x) => `'${x}'`).join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };

  const source_addr = raw.source_addr === undefined ? undefined : str('source_addr', 20, true);
  if (source_addr !== undefined && !/^\+?\d+$/.test(source_addr) && source_addr.length > 11)
    fail('source_addr', `alphanumeric sender ids are at most 11 characters, got "${source_addr}"`);
  const cfg: ResolvedSmppConfig = {
    host: str('host', 255, true),
    port: int('port', 2775, 1, 65535),
    system_id: str('system_id', 15, true),
    password: str('password', 8, false),
    system_type: str('system_type', 12, false),
    bind_mode: oneOf('bind_mode', ['transceiver', 'transmitter_receiver'] as const),
    binds: int('binds', 1, 1, 64),
    window: int('window', 10, 1, 1000),
    response_timeout_ms: int('response_timeout_ms', 10_000, 50, 600_000),
    throughput: int('throughput', 0, 0, 100_000),
    enquire_link_ms: int('enquire_link_ms', 30_000, 100, 3_600_000),
    reconnect_min_ms: int('reconnect_min_ms', 1000, 10, 600_000),
    reconnect_max_ms: int('reconnect_max_ms', 30_000, 10, 3_600_000),
    throttle_backoff_ms: int('throttle_backoff_ms', 1000, 0, 600_000),
    source_addr,
    source_ton: raw.source_ton === undefined ? undefined : int('source_ton', 0, 0, 6),
    source_npi: raw.source_npi === undefined ? undefined : int('source_npi', 0, 0, 18),
    dest_ton: int('dest_ton', 1, 0, 6),
    dest_npi: int('dest_npi', 1, 0, 18),
    long_messages: oneOf('long_messages', ['udh', 'payload'] as const),
    registered_delivery: int('registered_delivery', 1, 0, 31),
    submit_id_format: oneOf('submit_id_format', ID_FORMATS),
    receipt_id_format: oneOf('receipt_id_format', ID_FORMATS),
    receipt_memory: int('receipt_memory', 100_000, 100, 10_000_000),
  };
  if ((cfg.submit_id_format === 'string') !== (cfg.receipt_id_format === 'string') && cfg.submit_id_format !== 'auto' && cfg.receipt_id_format !== 'auto')
    fail('receipt_id_format', `cannot match '${cfg.receipt_id_format}' receipt ids against '${cfg.submit_id_format}' submit ids; declare both as numbers (hex/decimal) or both 'string'`);
  if (cfg.reconnect_max_ms < cfg.reconnect_min_ms)
    fail('reconnect_max_ms', `must be ≥ reconnect_min_ms (${cfg.reconnect_min_ms}), got ${cfg.reconnect_max_ms}`);
  return cfg;
}

/** Sender address with TON/NPI: alphanumeric → TON 5 NPI 0; numeric → TON 1 NPI 1 (international), '+' dropped. */
export function sourceAddress(cfg: ResolvedSmppConfig, from: string | undefined): { addr: string; ton: number; npi: number } {
  const raw = from ?? cfg.source_addr ?? '';
  const numeric = /^\+?\d+$/.test(raw);
  const addr = numeric ? raw.replace(/^\+/, '') : raw;
  const ton = cfg.source_ton ?? (raw === '' ? 0 : numeric ? 1 : 5);
  const npi = cfg.source_npi ?? (raw === '' ? 0 : numeric ? 1 : 0);
  return { addr, ton, npi };
}
