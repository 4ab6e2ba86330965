/** Maps a configured provider's `kind` to its factory. */
import type { Config } from '../config.ts';
import { DevInboxProvider, type InboxSink } from './devinbox.ts';
import { type Provider, ProviderConfigError, type ProviderFactory } from './types.ts';

export interface ProviderDeps {
  inbox: InboxSink;
  devInbox: Config['dev_inbox'];
  /** Where carriers reach this gateway; gives HTTP providers their default `status_callback`. */
  publicUrl?: string;
}

/** Carrier modules are loaded only when configured, so the embedded default stays light. */
const FACTORIES: Record<string, () => Promise<ProviderFactory<any>>> = {
  smpp: async () => (await import('./smpp/index.ts')).createSmppProvider,
  twilio: async () => (await import('./twilio.ts')).createTwilioProvider,
  vonage: async () => (await import('./vonage.ts')).createVonageProvider,
  kavenegar: async () => (await import('./kavenegar.ts')).createKavenegarProvider,
  tingting: async () => (await import('./tingting.ts')).createTingtingProvider,
  bitel: async () => (await import('./bitel.ts')).createBitelProvider,
  http: async () => (await import('./http.ts')).createHttpProvider,
};

/** Kinds that are told where to post statuses (the others are configured on the vendor's side). */
const CALLBACK_KINDS = new Set(['twilio', 'vonage']);

export async function createProviders(entries: Config['providers'], deps: ProviderDeps): Promise<Map<string, Provider>> {
  const out = new Map<string, Provider>();
  for (const { name, kind, ...rest } of entries) {
    if (out.has(name)) throw new ProviderConfigError(name, 'name', 'is used twice; give each provider a unique name');
    if (kind === 'devinbox') {
      out.set(name, new DevInboxProvider(name, { ...deps.devInbox, ...rest }, deps.inbox));
      continue;
    }
    const load = FACTORIES[kind];
    if (!load) throw new ProviderConfigError(name, 'kind', `"${kind}" is unknown; use one of devinbox, ${Object.keys(FACTORIES).join(', ')}`);
    // Carriers that post statuses back need our public hook URL; operators rarely want another.
    const hook = deps.publicUrl && CALLBACK_KINDS.has(kind) ? { status_callback: `${deps.publicUrl.replace(/\/$/, '')}/hooks/${name}` } : {};
    out.set(name, (await load())(name, { ...hook, ...rest }));
  }
  return out;
}
