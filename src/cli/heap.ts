/**
 * V8's heap settings of `otpgate start`.
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
 * fast against the program (v8/src/heap/heap-controller.cc, DynamicGrowingFactor). A gateway
 * under load promotes about 10 MB/s of request and delivery state that dies soon after (objects
 * that outlive two scavenges: a send waiting on the group commit, a submit waiting on its
 * submit_sm_resp), so the old generation filled to 2.5 × its live 35–45 MB between full GCs:
 * 235–249 MB peak RSS in bench:e2e. At 1.5 × it held 183–186 MB, with 14 full GCs in 25 s
 * instead of 4 (two of them in start-up), about 125 ms of pauses in all (issue 13's closing note).
 * bin/otpgate.mjs sets this from the start, as each full GC's limit holds until the next one.
 */
import { setFlagsFromString } from 'node:v8';

/** V8's default growth factor (v8/src/flags/flag-definitions.h, semi_space_growth_factor). */
const DEFAULT_GROWTH_FACTOR = 2;

/** The old generation's growth between full GCs, in percent of what the last one left alive (bin/otpgate.mjs holds the same). */
export const OLD_GENERATION_GROWTH_PERCENT = 50;

/**
 * The heap settings for serving, called once the server listens: the young generation grows
 * again as V8 does by default, and the old generation grows by OLD_GENERATION_GROWTH_PERCENT
 * (again: on the tsx path, starting tsx's loader thread put V8's flags back to their defaults).
 * Both flags are read by V8 at each GC, so setting them at run time takes effect.
 */
export function heapForServing(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
}
