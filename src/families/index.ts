/** The vendor API families (translations onto the native core), each one plugin in its folder. */
import { bitelRoutes } from './bitel/index.ts';
import type { FamilyPlugin } from '../http/plugin.ts';
import { tingtingRoutes } from './tingting/index.ts';
import { twilioRoutes } from './twilio/index.ts';
import { vonageRoutes } from './vonage/index.ts';

export function familyPlugins(): FamilyPlugin[] {
  return [tingtingRoutes, bitelRoutes, twilioRoutes, vonageRoutes];
}
