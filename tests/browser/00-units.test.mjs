// Pure checks of the web pages' modules, without a browser: money parsing
// and formatting are exact, and both languages have every UI string.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test, ROOT } from '../integration/harness.mjs';
import { parseMajor, formatMoney, minorToDecimal, minorToInput, minorDigits, mulMinor } from '../../web/js/money.mjs';
import { toCsv, parseCsv } from '../../web/js/csv.mjs';

const nbsp = (s) => s.replace(/[\u00a0\u202f]/g, ' ');

test('parseMajor converts what people type into exact minor units', () => {
  const ok = (input, minor, cur = 'EUR', locale = 'en') => assert.deepEqual(parseMajor(input, cur, locale), { minor }, `${input} (${locale})`);
  ok('120', 12000);
  ok('120.00', 12000);
  ok('120.5', 12050);
  ok(' 0.29 ', 29); // 0.29 * 100 is 28.999999999999996 in floating point
  ok('1.1', 110);
  ok('1,234.56', 123456);
  ok('1,234', 123400); // a thousands group in English
  ok('1 234,56', 123456, 'EUR', 'fr');
  ok('1\u202f234,56', 123456, 'EUR', 'fr');
  ok('120,50', 12050, 'EUR', 'fr');
  ok('1.234,56', 123456, 'EUR', 'fr');
  ok('120.000', 12000); // extra zeros are harmless
  ok('11258999068426.24', 1125899906842624); // the largest amount, exactly
  ok('1500', 1500, 'JPY');
  ok('1.234', 1234, 'BHD');
  ok('+5', 500);
});

test('parseMajor refuses what is not an amount, saying why', () => {
  const err = (input, error, cur = 'EUR', locale = 'en') => assert.equal(parseMajor(input, cur, locale).error, error, `${input}`);
  err('', 'empty');
  err('   ', 'empty');
  err('abc', 'format');
  err('-5', 'format');
  err('1e3', 'format');
  err('12.34.56', 'format');
  err('1,23,456.00', 'format');
  err('120.005', 'decimals');
  err('1,234', 'decimals', 'EUR', 'fr');
  err('0', 'zero');
  err('0.00', 'zero');
  err('11258999068426.25', 'range');
  err('99999999999999999999', 'range');
  err('1.5', 'decimals', 'JPY');
});

test('formatMoney is exact for every amount, in the tenant currency and the user language', () => {
  assert.equal(minorToDecimal(12000, 2), '120.00');
  assert.equal(minorToDecimal(-5, 2), '-0.05');
  assert.equal(minorToDecimal(7, 0), '7');
  assert.equal(minorDigits('EUR'), 2);
  assert.equal(minorDigits('JPY'), 0);
  assert.equal(formatMoney(12000, 'EUR', 'en'), '€120.00');
  assert.equal(nbsp(formatMoney(12000, 'EUR', 'fr')), '120,00 €');
  assert.equal(formatMoney(-15000, 'EUR', 'en'), '-€150.00');
  assert.equal(formatMoney(1125899906842623, 'EUR', 'en'), '€11,258,999,068,426.23');
  assert.equal(formatMoney(9007199254740993n, 'USD', 'en'), '$90,071,992,547,409.93');
  assert.equal(formatMoney(1500, 'JPY', 'en'), '¥1,500');
  assert.equal(minorToInput(12000, 'EUR', 'fr'), '120,00');
  assert.equal(minorToInput(12000, 'EUR', 'en'), '120.00');
  for (let minor = 0; minor < 3000; minor += 7) {
    const shown = formatMoney(minor, 'EUR', 'en');
    assert.deepEqual(parseMajor(shown.replace('€', ''), 'EUR', 'en'), minor === 0 ? { error: 'zero', digits: 2 } : { minor });
  }
});

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('English and French have the same UI strings, and every string the code asks for exists', () => {
  const en = JSON.parse(readFileSync(join(ROOT, 'web/i18n/en.json'), 'utf8'));
  const fr = JSON.parse(readFileSync(join(ROOT, 'web/i18n/fr.json'), 'utf8'));
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  for (const [k, v] of Object.entries(en)) {
    assert.equal(typeof v, typeof fr[k], k);
    const vars = (s) => JSON.stringify(s).match(/\{\w+\}/g)?.sort().filter((x, i, a) => a.indexOf(x) === i) ?? [];
    assert.deepEqual(vars(fr[k]), vars(v), `placeholders of ${k}`);
    if (typeof v === 'object') assert.ok(v.other && fr[k].other, `plural ${k} has "other"`);
  }
  const code = files(join(ROOT, 'web/js')).filter((f) => f.endsWith('.mjs')).map((f) => readFileSync(f, 'utf8')).join('\n');
  const used = [...code.matchAll(/\bt\(\s*'([a-z_.]+)'/g)].map((m) => m[1]);
  assert.ok(used.length > 200);
  const missing = [...new Set(used)].filter((k) => !(k in en));
  assert.deepEqual(missing, []);
  // Keys built from API values: every reason, remedy, status and line kind.
  for (const c of ['license_conflict', 'subscription_not_ready', 'service_incident', 'upgrade_in_progress', 'credit_check_pending',
    'not_eligible', 'multiple_plans_same_product', 'prepaid_plan', 'segment_restricted', 'service_busy',
    'target_not_supported', 'has_addon', 'unpaid_balance', 'other']) assert.ok(en[`reason.${c}`], c);
  for (const a of ['resolve_license_conflicts', 'change_plans_manually', 'call_support', 'pay_now', 'wait', 'retry_later', 'schedule_at_term_end']) assert.ok(en[`remedy.${a}`], a);
  for (const s of ['provisioning', 'active', 'expired', 'disabled', 'cancelled', 'replaced', 'pending_credit_check', 'completed', 'failed', 'scheduled']) assert.ok(en[`status.${s}`], s);
  for (const l of ['purchase', 'renewal', 'quantity', 'cancel', 'upgrade_credit', 'upgrade_charge', 'switch']) assert.ok(en[`line.${l}`], l);
});

test('the pages use only what the daemon serves: /assets/ paths of allowed characters and extensions', () => {
  const ok = /^[A-Za-z0-9._/-]+\.(html|js|mjs|css|json|svg|png|ico|woff2|txt)$/;
  for (const f of files(join(ROOT, 'web'))) {
    const rel = f.slice(join(ROOT, 'web').length + 1);
    assert.match(rel, ok, rel);
    assert.ok(!rel.split('/').some((p) => p.startsWith('.')), rel);
  }
  const html = readFileSync(join(ROOT, 'web/index.html'), 'utf8');
  assert.ok(!/https?:\/\//.test(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')), 'no network resources');
});

test('a monthly total is price × quantity exactly, or nothing when it would not be exact', () => {
  assert.equal(mulMinor(5700, 2000), 11400000); // 2,000 Enterprise E5 at €57.00: €114,000.00
  assert.equal(formatMoney(mulMinor(5700, 2000), 'EUR', 'en'), '€114,000.00');
  assert.equal(mulMinor(2 ** 40, 2 ** 20), null);
});

test('CSV: written quoted where needed, formulas defused, read back the same (quotes, commas, line breaks, BOM)', () => {
  const rows = [['usr_1', 'Ada, Countess', 'ada@x.example'], ['usr_2', 'Say "hi"', 'b@x.example'], ['usr_3', 'Two\nlines', 'c@x.example'],
    ['usr_4', '=HYPERLINK("x")', 'd@x.example'], ['usr_5', '', 'e@x.example']];
  const text = toCsv(['id', 'display_name', 'upn'], rows);
  assert.ok(text.startsWith('id,display_name,upn\r\nusr_1,"Ada, Countess",ada@x.example\r\n'), text);
  assert.ok(text.includes('usr_4,"\'=HYPERLINK(""x"")",d@x.example'), 'a formula is written as text');
  const back = parseCsv(`\ufeff${text}`);
  assert.deepEqual(back[0], ['id', 'display_name', 'upn']);
  assert.deepEqual(back.slice(1).map((r) => r[1]), ['Ada, Countess', 'Say "hi"', 'Two\nlines', '\'=HYPERLINK("x")', '']);
  assert.deepEqual(parseCsv('a,b\nc,d'), [['a', 'b'], ['c', 'd']], 'LF line ends, no final one');
  assert.deepEqual(parseCsv(''), []);
});
