/**
 * The Bitel-compatible API family: a company that calls Bitel changes only its base URL and token.
 * A translation onto the native core (no second engine): OTP SMS, plain SMS, their status, and
 * voice OTP, in Bitel's {result, error} envelope. Registered without a prefix and encapsulated,
 * so the hooks and the error handler below apply to these routes only.
 */
import type { FamilyPlugin } from '../../http/plugin.ts';
import { bitelAuth } from './binding.ts';
import { bitelErrorHandler } from './envelope.ts';
import { otpRoutes } from './otp.ts';
import { smsRoutes } from './sms.ts';
import { voiceRoutes } from './voice.ts';
import { webhookRoutes } from './webhook.ts';

export const bitelRoutes: FamilyPlugin = async (app, { gw, auth }) => {
  app.setErrorHandler(bitelErrorHandler);
  app.addHook('onRequest', bitelAuth(auth));
  otpRoutes(app, gw);
  smsRoutes(app, gw);
  voiceRoutes(app, gw);
  webhookRoutes(app, gw);
};
