/**
 * V8's heap settings of `otpgate start` (the flags are set by bin/heap-flags.mjs).
 *
 * The young generation during start-up. A start loads and compiles a few hundred modules, route
 * validators and serializers, nearly all of which survive; each scavenge that sees that much
 * survive doubles V8's semi-spaces, so by the ready line the young generation has grown from
 * 2 × 1 MB to 2 × 16 MB and keeps that memory for good (about 26 MB of an idle gateway's RSS).
 * bin/otpgate.mjs therefore starts `otpgate start` with a growth factor of 1 (the young
 * generation stays at its initial size while the long-lived start-up objects go to the old
 * generation, where they belong anyway); once the gateway listens, the growth comes back, so
 * under load the young generation grows as far as it always did and throughput is unchanged.
 *
 * The old generation while serving. After each full GC, V8 lets the old generation grow to a
 * factor of what survived before the next one; the factor is dynamic, up to 4 when marking is
 * fast against the program (v8/src/heap/heap-controller.cc, DynamicGrowingFactor). Under
 * bench:e2e's load the old generation gained about 8–10 MB/s of objects that had outlived two
 * scavenges and died soon after (what they are was not broken down), so between full GCs it
 * filled to about 2.5 × the 33–38 MB a full GC left alive: 233–243 MB peak RSS. Growing by half
 * instead (bin/heap-flags.mjs, from the first line of `otpgate start`), it held 183–186 MB, with
 * 14 full GCs in 25 s instead of 4 (two of them in start-up), about 125 ms of pauses in all
 * (issue 13's closing note).
 */
import { setFlagsFromString } from 'node:v8';

/** V8's default growth factor (v8/src/flags/flag-definitions.h, semi_space_growth_factor). */
const DEFAULT_GROWTH_FACTOR = 2;

/** Lets the young generation grow again, as V8 does by default; called once the server listens. */
export function youngGenerationGrows(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}
