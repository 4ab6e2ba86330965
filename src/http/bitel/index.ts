/** bitel family: placeholder until its routes land. */
import type { FamilyPlugin } from '../plugin.ts';

export const bitelRoutes: FamilyPlugin = async () => {};
