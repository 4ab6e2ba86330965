import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSms } from '../../src/core/templates.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { build } from '../helpers/gateway.ts';

const render = (template: string, appName?: string) => renderSms({ locale: 'en', code: '460451', minutes: 5, template, appName });

test('a template using {app_name} sent without app_name renders cleanly: no leading space, no orphan separator', () => {
  const cases: Array<[string, string]> = [
    ['{app_name} login code: {code}', 'login code: 460451'],
    ['  {app_name}   login code: {code}', 'login code: 460451'],
    ['{app_name}: {code}', '460451'],
    ['{app_name} - {code}', '460451'],
    ['{app_name} | {code}', '460451'],
    ['[{app_name}] code {code}', 'code 460451'],
    ['({app_name}) code {code}', 'code 460451'],
    ['Your {app_name} code is {code}.', 'Your code is 460451.'],
    ['Code {code} ({app_name})', 'Code 460451'],
    ['{code} is your {app_name} code', '460451 is your code'],
    ['Code {code} for {app_name}.', 'Code 460451 for.'],
    ['{app_name}\n{code}', '460451'],
    ['Hi\n{app_name}: {code}', 'Hi\n460451'],
    ['کد {app_name}: {code}', 'کد: 460451'],
    ['{app_name}، کد شما {code}', 'کد شما 460451'],
    ['{app_name}{code}', '460451'],
  ];
  for (const [template, want] of cases) {
    const got = render(template);
    assert.equal(got, want, JSON.stringify(template));
    assert.doesNotMatch(got, /^\s|\s$|\s{2}/, JSON.stringify(template));
  }
  for (const blank of ['', '   ', '\t']) assert.equal(render('{app_name} login code: {code}', blank), 'login code: 460451', JSON.stringify(blank));
  // With an app name the template is as written.
  assert.equal(render('{app_name} login code: {code}', 'Acme'), 'Acme login code: 460451');
  assert.equal(render('  [{app_name}]  {code}', 'Acme'), '  [Acme]  460451');
});

test('a config template without {code} (or with an unknown placeholder) stops the start with a line naming it', () => {
  const cases: Array<[Record<string, Record<string, string>>, RegExp]> = [
    [{ login: { en: 'Welcome to {app_name}' } }, /templates\.login\.en: .*no \{code\}.*template "login"/],
    [{ login: { en: 'Code {code}', fa: 'خوش آمدید' } }, /templates\.login\.fa: .*\{code\}/],
    [{ reset: { de: 'Code {cod}' } }, /templates\.reset\.de: .*unknown placeholder \{cod\}/],
    [{ x: { en: '' } }, /templates\.x\.en/],
  ];
  for (const [templates, message] of cases) {
    assert.throws(() => loadConfig({ templates }, {}), (e: Error) => e instanceof ConfigError && message.test(e.message), JSON.stringify(templates));
  }
  assert.doesNotThrow(() => loadConfig({ templates: { login: { en: '{app_name}: {code}', fa: 'کد {code}' } } }, {}));
});

test('a config template with {app_name} sent without app_name goes out clean', async (t) => {
  const h = await build(t, { templates: { login: { en: '{app_name} login code: {code}' } } });
  const res = await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: h.auth(), payload: { to: '+14155550123', channel: 'sms', template_id: 'login' } });
  assert.equal(res.statusCode, 201, res.body);
  await h.settle();
  const inbox = (await h.app.inject({ method: 'GET', url: '/inbox/api/messages' })).json().data;
  assert.match(inbox[0].text, /^login code: [0-9]{6}$/);
});
