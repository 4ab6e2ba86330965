/** tingting family: placeholder until its routes land. */
import type { FamilyPlugin } from '../plugin.ts';

export const tingtingRoutes: FamilyPlugin = async () => {};
