/**
 * Twilio REST API 2010-04-01 as seen by a client: Messages.json and Calls.json with Basic auth,
 * form bodies, 201 resource bodies and `{code, message, more_info, status}` errors.
 * Shapes from https://www.twilio.com/docs/messaging/api/message-resource and /docs/usage/twilios-response.
 */
import { randomBytes } from 'node:crypto';
import { SLOW_MS, scenarioOf, startFake, type FakeServer, type Reply } from './server.ts';

function twilioError(status: number, code: number, message: string): Reply {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

export function startTwilioFake(accountSid: string, authToken: string): Promise<FakeServer> {
  const expectedAuth = 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64');
  return startFake((req) => {
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(req.path);
    if (req.method !== 'POST' || !m) return twilioError(404, 20404, 'The requested resource was not found');
    if (req.headers.authorization !== expectedAuth || m[1] !== accountSid) return twilioError(401, 20003, 'Authenticate');
    const f = req.form ?? {};
    switch (scenarioOf(f.To)) {
      case 'reject': return twilioError(400, 21211, `The 'To' number ${f.To} is not a valid phone number.`);
      case 'throttle': return twilioError(429, 20429, 'Too Many Requests');
      case 'error': return twilioError(500, 20500, 'Internal Server Error');
      case 'slow': return { status: 201, body: {}, delayMs: SLOW_MS };
      default: break;
    }
    if (m[2] === 'Messages') {
      if (!f.Body || (!f.From && !f.MessagingServiceSid)) return twilioError(400, 21604, "A 'From' phone number is required.");
      const sid = 'SM' + randomBytes(16).toString('hex');
      return { status: 201, body: { sid, account_sid: accountSid, to: f.To, from: f.From ?? null, body: f.Body, status: 'queued', num_segments: '1', error_code: null, error_message: null, uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json` } };
    }
    if (!f.Twiml && !f.Url) return twilioError(400, 21205, 'Url parameter is required.');
    const sid = 'CA' + randomBytes(16).toString('hex');
    return { status: 201, body: { sid, account_sid: accountSid, to: f.To, from: f.From, status: 'queued', direction: 'outbound-api', uri: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json` } };
  });
}
