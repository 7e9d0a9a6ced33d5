import { startDaemon, stopDaemon, launch, openPage, shot, until, freshDataDir, removeDir, TOKENS } from './lib.mjs';
const dir = freshDataDir();
const d = await startDaemon(dir);
const b = await launch();
const log = [], errors = [];
const fake = {
  'GET /api/v1/admin/staff': [{ id: 'nv01', name: 'Nguyễn Văn An', supervisor: false, disabled: false, has_photo: false, must_change_pin: false, source: 'config' },
    { id: 'nv09', name: 'Lê Văn Chín', supervisor: false, disabled: true, has_photo: false, must_change_pin: true, source: 'admin' },
    { id: 'gs01', name: 'Ngô Thanh Sơn', supervisor: true, disabled: false, has_photo: false, must_change_pin: false, source: 'config' }],
  'GET /api/v1/admin/devices': [{ name: 'TV sảnh chính', role: 'display', counter: null, source: 'config', connected: true },
    { name: 'Máy đánh giá Quầy 1', role: 'rating', counter: 1, source: 'config', connected: false }],
  'GET /api/v1/admin/audit': [{ seq: 5, at: new Date().toISOString(), by: { id: 'gs01', name: 'Ngô Thanh Sơn' }, change: 'staff_added', summary: 'Thêm cán bộ Lê Văn Chín (nv09)', summary_en: 'Added staff Lê Văn Chín (nv09)' }],
  'POST /api/v1/admin/staff': { id: 'nv10', name: 'Phạm Mười', pin: '482913' },
  'POST /api/v1/admin/devices': { name: 'TV tầng 2', role: 'display', token: 'x'.repeat(43), url: `${d.origin}/board?token=${'x'.repeat(43)}` },
};
const p = await openPage(b, { width: 1920, height: 1080, log, errors, name: 'admin' });
await p.route('**/api/v1/admin/**', async (route) => {
  const r = route.request();
  const key = `${r.method()} ${new URL(r.url()).pathname}`;
  if (key === 'PATCH /api/v1/admin/counters/3') return route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: { code: 'service_has_tickets', message: 'Lĩnh vực Đất đai còn 2 người đang chờ: không thể bỏ khỏi mọi quầy. Hãy tạm ngừng cấp số.', field: 'services' } }) });
  if (fake[key]) return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(fake[key]) });
  return route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'not_found', message: 'nf' } }) });
});
for (const lang of ['vi', 'en']) {
  for (const sec of ['staff', 'devices', 'counters', 'services', 'notice', 'audit']) {
    await p.goto(`${d.origin}/admin?token=${TOKENS.supervisor}${lang === 'en' ? '&lang=en' : ''}#${sec}`);
    await until(p, () => !document.querySelector('#app').hidden);
    await p.waitForTimeout(400);
    await shot(p, `look-${sec}-${lang}.png`, { fullPage: true });
  }
}
await p.goto(`${d.origin}/admin?token=${TOKENS.supervisor}#staff`);
await until(p, () => document.querySelector('#staff-list tr[data-staff]'));
await p.fill('#staff-add input[name="id"]', 'nv10');
await p.fill('#staff-add input[name="name"]', 'Phạm Mười');
await p.click('#staff-add button[type="submit"]');
await until(p, () => !document.querySelector('#dlg').hidden);
await shot(p, 'look-pin.png');
await p.click('#dlg-ok');
await p.goto(`${d.origin}/admin?token=${TOKENS.supervisor}#devices`);
await until(p, () => document.querySelector('#device-list tr[data-device]'));
await p.fill('#device-add input[name="name"]', 'TV tầng 2');
await p.click('#device-add button[type="submit"]');
await until(p, () => !document.querySelector('#dlg').hidden);
await shot(p, 'look-device.png');
await p.click('#dlg-ok');
await p.goto(`${d.origin}/admin?token=${TOKENS.supervisor}#counters`);
await until(p, () => document.querySelector('form[data-counter="3"]'));
await p.click('form[data-counter="3"] [data-act="remove"]');
await p.click('form[data-counter="3"] button[type="submit"]');
await p.waitForTimeout(300);
await shot(p, 'look-counter-err.png');
console.log(errors);
await b.close(); await stopDaemon(d); removeDir(dir);
