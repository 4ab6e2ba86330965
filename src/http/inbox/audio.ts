/**
 * The dev inbox's voice calls as sound: espeak-ng reads a voice script in the locale's voice
 * into a WAV the page plays. Optional: without espeak-ng the inbox says how to install it.
 * Renders lazily (a page of voice messages spawns nothing until one is played), one process per
 * script via execFile (no shell: the text goes in on stdin), cached in memory up to a byte bound.
 */
import { execFile } from 'node:child_process';

export const INSTALL_HINT = 'install espeak-ng (Debian/Ubuntu: apt-get install espeak-ng; macOS: brew install espeak-ng) and reload';

export class AudioUnavailableError extends Error {
  readonly code = 'audio_unavailable';
}

export interface VoiceAudioOptions {
  /** The espeak-ng executable, looked up on PATH. */
  binary?: string;
  /** Rendered WAVs kept in memory, least recently played dropped first. */
  maxCacheBytes?: number;
  timeoutMs?: number;
}

export type AudioStatus = { available: true } | { available: false; hint: string };

export class VoiceAudio {
  private readonly binary: string;
  private readonly maxCacheBytes: number;
  private readonly timeoutMs: number;
  /** The language codes espeak-ng has voices for; undefined when it is not installed. */
  private languages?: Promise<Set<string> | undefined>;
  /** Finished WAVs; Map order is the LRU order. */
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;
  /** Renders under way, so two plays of one message start one process. */
  private readonly pending = new Map<string, Promise<Buffer>>();

  constructor(opts: VoiceAudioOptions = {}) {
    this.binary = opts.binary ?? 'espeak-ng';
    this.maxCacheBytes = opts.maxCacheBytes ?? 32 * 1024 * 1024;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  async status(): Promise<AudioStatus> {
    return (await this.detect()) ? { available: true } : { available: false, hint: INSTALL_HINT };
  }

  /** The WAV of one message's script; `key` names immutable text (the message id). */
  async render(key: string, text: string, locale: string): Promise<Buffer> {
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    let job = this.pending.get(key);
    if (!job) {
      job = this.synthesize(text, locale).finally(() => this.pending.delete(key));
      this.pending.set(key, job);
    }
    const wav = await job;
    if (!this.cache.has(key)) this.keep(key, wav);
    return wav;
  }

  private keep(key: string, wav: Buffer): void {
    this.cache.set(key, wav);
    this.cachedBytes += wav.length;
    for (const [k, b] of this.cache) {
      if (this.cachedBytes <= this.maxCacheBytes || k === key) break;
      this.cache.delete(k);
      this.cachedBytes -= b.length;
    }
  }

  private async synthesize(text: string, locale: string): Promise<Buffer> {
    const languages = await this.detect();
    if (!languages) throw new AudioUnavailableError(`espeak-ng is not installed; ${INSTALL_HINT}`);
    // espeak-ng picks the best voice for a language code; a locale it lacks is read in English.
    const voice = languages.has(locale) ? locale : 'en';
    const wav = await new Promise<Buffer>((resolve, reject) => {
      const child = execFile(
        this.binary,
        ['-v', voice, '--stdin', '--stdout'],
        { encoding: 'buffer', timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(new AudioUnavailableError(`espeak-ng failed (${stderr.toString().trim() || err.message}); check that it runs: espeak-ng -v ${voice} test`));
          else resolve(stdout);
        },
      );
      child.stdin?.on('error', () => {}); // a child that died early is reported by the callback
      child.stdin?.end(text);
    });
    if (wav.length < 44 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE')
      throw new AudioUnavailableError('espeak-ng produced no WAV; check that it runs: espeak-ng test');
    return fixWavSizes(wav);
  }

  /** Remembered once found; a miss is asked again, so installing espeak-ng needs no restart. */
  private detect(): Promise<Set<string> | undefined> {
    const asked = (this.languages ??= new Promise((resolve) => {
      execFile(this.binary, ['--voices'], { timeout: this.timeoutMs }, (err, stdout) => resolve(err ? undefined : languagesOf(stdout)));
    }));
    void asked.then((found) => {
      if (!found && this.languages === asked) this.languages = undefined;
    });
    return asked;
  }
}

/**
 * Language codes of espeak's own voices from `espeak-ng --voices` (columns: Pty Language
 * Age/Gender VoiceName File Other-Languages). "fr-fr" also answers "fr"; MBROLA voices (mb/…)
 * need separately installed data, so they do not count.
 */
export function languagesOf(listing: string): Set<string> {
  const out = new Set<string>();
  for (const line of listing.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || cols[4]!.startsWith('mb/')) continue;
    out.add(cols[1]!);
    out.add(cols[1]!.split('-')[0]!);
  }
  return out;
}

/**
 * espeak-ng writing to a pipe cannot seek back, so its RIFF and data sizes say "unknown"
 * (0x7ffff000-ish); browsers then misjudge the duration. Set them from the actual length.
 */
export function fixWavSizes(wav: Buffer): Buffer {
  wav.writeUInt32LE(wav.length - 8, 4);
  for (let at = 12; at + 8 <= wav.length; ) {
    const size = wav.readUInt32LE(at + 4);
    if (wav.toString('ascii', at, at + 4) === 'data') {
      wav.writeUInt32LE(wav.length - at - 8, at + 4);
      break;
    }
    at += 8 + size;
  }
  return wav;
}
