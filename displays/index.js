// xephang index (index.html): fills in the centre's name and one link per counter.
import { api, esc, L, applyStatic, onLang, langToggle, $ } from '/assets/client.js';

let st = null;
function render() {
  if (!st) return;
  $('#centre').textContent = L(st.centre?.name, st.centre?.name_en || st.centre?.name) || 'xephang';
  $('#displays').innerHTML = (st.counters || []).map((c) => `<a href="/display/${c.id}">${esc(c.name)}</a>`).join('');
  $('#ratings').innerHTML = (st.counters || []).map((c) => `<a href="/rating/${c.id}">${esc(c.name)}</a>`).join('');
}
langToggle($('#lang'));
onLang(render);
applyStatic();
try { st = await api('GET', '/api/v1/state'); render(); } catch (err) { $('#centre').textContent = err.message; }
