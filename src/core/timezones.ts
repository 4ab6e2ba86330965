/**
 * The UTC offset an account shows its times in, when none is given: the one fixed offset of a
 * region that has a single time zone and no daylight saving. Regions with several zones or DST
 * (US, RU, …) get UTC; their operators set the offset they want.
 */
const FIXED_OFFSET_MINUTES: Readonly<Record<string, number>> = {
  NP: 345, // Nepal, the TingTing family's home
  IR: 210, // Iran (no DST since 2022), the Bitel family's home
  IN: 330,
  LK: 330,
  BD: 360,
  PK: 300,
  AF: 270,
  AE: 240,
  SA: 180,
  TR: 180,
  CN: 480,
  JP: 540,
  KR: 540,
};

export function defaultUtcOffsetMinutes(region: string): number {
  return FIXED_OFFSET_MINUTES[region.toUpperCase()] ?? 0;
}
