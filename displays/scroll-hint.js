// xephang: a list that scrolls says so. Every element with `data-scroll-hint-for="ID"` is
// shown while the element #ID has more content below what is on screen, and hidden once it
// is scrolled to the end or fits (issue 14 item 15: the kiosk's last service hid under the
// appointment button with no hint that the list scrolls).
for (const hint of document.querySelectorAll('[data-scroll-hint-for]')) {
  const list = document.getElementById(hint.dataset.scrollHintFor);
  if (!list) continue;
  const update = () => {
    const more = list.scrollHeight > list.clientHeight + 1 && list.scrollTop + list.clientHeight < list.scrollHeight - 1;
    if (hint.hidden === more) hint.hidden = !more;
  };
  list.addEventListener('scroll', update, { passive: true });
  window.addEventListener('resize', update);
  new MutationObserver(update).observe(list, { childList: true, subtree: true, characterData: true });
  new ResizeObserver(update).observe(list);
  hint.addEventListener('click', () => list.scrollBy({ top: list.clientHeight * 0.8, behavior: 'smooth' }));
  update();
}
