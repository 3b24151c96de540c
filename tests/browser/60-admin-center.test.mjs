
test('credit checks: a purchase and more licenses wait, saying until when; the operator denies one after a summary; the tenant sees why', async () => {
  const made = await srv.api('POST', '/v1/tenants', { body: { name: 'Small Credit Org', segment: 'commercial', payment: 'invoice', credit_limit: 5000, currency: 'EUR' } });
  assert.equal(made.status, 201, made.text);
  const T = made.json;
  const token = await tokenFor(T.id, 'global_admin');
  const small = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'biz-basic', quantity: 5 } });
  assert.equal(small.status, 201, small.text);
  const big = await srv.api('POST', `/v1/tenants/${T.id}/subscriptions`, { body: { plan: 'ent-e5', quantity: 2000 } });
  assert.ok(big.json.credit_check, `case the big purchase waits on a credit check: ${big.text}`);
  const more = await srv.api('PATCH', `/v1/tenants/${T.id}/subscriptions/${small.json.id}`, { body: { quantity: 6 } });
  assert.equal(more.status, 202, `case more licenses wait: ${more.text}`);

  const page = await newPage(browser, WIDE);
  await signIn(page, srv.url, token);
  await page.goto(`${srv.url}/#/t/${T.id}/products`);
  await page.getByRole('heading', { name: 'Products & services', level: 1 }).waitFor();
  await settled(page);
  const bigRow = page.locator('tr', { has: page.locator(`a[href$="/subscriptions/${big.json.id}"]`) });
  assert.match(await bigRow.textContent(), /Waiting for a credit check \(expected by .+\)/);
  await page.goto(`${srv.url}/#/t/${T.id}/licenses`);
  await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
  await settled(page);
  assert.match(await page.locator('.waiting-credit-check').first().textContent(), /Waiting for a credit check: 6 licenses, expected by/);
  await page.goto(`${srv.url}/#/t/${T.id}`);
  await settled(page);
  assert.ok(await page.locator('[data-alert="credit_check"]').count() >= 2, 'case home: each wait with its time');

  // The operator: what the check is for, the amount; Cancel keeps it pending; Deny denies it.
  const op = await newPage(browser, WIDE);
  await signIn(op, srv.url, srv.operator);
  await op.goto(`${srv.url}/#/provider/credit-checks`);
  await op.getByRole('heading', { name: 'Credit checks', level: 1 }).waitFor();
  await settled(op);
  const cc = big.json.credit_check.id;
  await op.getByRole('button', { name: `Deny ${cc} for Small Credit Org` }).click();
  await dialog(op).waitFor();
  assert.match(await dialog(op).textContent(), new RegExp(`Deny credit check ${cc}\\?.*Small Credit Org.*${big.json.id}`));
  await shot(op, 'provider-deny-confirm');
  await dialog(op).getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await srv.api('GET', `/v1/tenants/${T.id}/credit-checks`)).json.items.find((c) => c.id === cc).status, 'pending');
  await op.getByRole('button', { name: `Deny ${cc} for Small Credit Org` }).click();
  await dialog(op).getByRole('button', { name: 'Deny' }).click();
  await op.locator('tr', { hasText: cc }).filter({ hasText: 'Denied' }).waitFor();

  await page.goto(`${srv.url}/#/t/${T.id}/products`);
  await page.getByRole('heading', { name: 'Products & services', level: 1 }).waitFor();
  await settled(page);
  const ended = page.locator('tr', { has: page.locator(`a[href$="/subscriptions/${big.json.id}"]`) });
  assert.match(await ended.textContent(), /Cancelled: credit check denied/);
  await shot(page, 'products-credit-denied');
  assert.deepEqual([...page.jsErrors, ...op.jsErrors], []);
});
