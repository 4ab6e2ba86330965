/**
 * The young generation during start-up. A start loads and compiles a few hundred modules, route
 * validators and serializers, nearly all of which survive; each scavenge that sees that much
 * survive doubles V8's semi-spaces, so by the ready line the young generation has grown from
 * 2 × 1 MB to 2 × 16 MB and keeps that memory for good (about 26 MB of an idle gateway's RSS).
 * bin/otpgate.mjs therefore starts `otpgate start` with a growth factor of 1 (the young
 * generation stays at its initial size while the long-lived start-up objects go to the old
 * generation, where they belong anyway); once the gateway listens, the growth comes back, so
 * under load the young generation grows as far as it always did and throughput is unchanged.
 */
import { setFlagsFromString } from 'node:v8';

/** V8's default growth factor (v8/src/flags/flag-definitions.h, semi_space_growth_factor). */
const DEFAULT_GROWTH_FACTOR = 2;

/** Lets the young generation grow again, as V8 does by default; called once the server listens. */
export function youngGenerationGrows(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}
