// Lodestone web chat: citation links, the mobile sources drawer, copy, theme and shortcuts.
() => {
  const drawer = () => document.getElementById('details-column');
  const narrow = () => window.matchMedia('(max-width: 820px)').matches;

  const showQuotes = (root) => root.querySelectorAll('.source blockquote').forEach((passage) => {
    const mark = passage.querySelector('mark');
    if (mark) passage.scrollTop = Math.max(0, mark.offsetTop - passage.offsetTop - 24);
  });

  window.lodestone = {
    async copy(text) {
      if (!text) return 'Nothing to copy yet: ask a question first.';
      try {
        await navigator.clipboard.writeText(text);
      } catch (error) {  // no clipboard API off https/localhost: fall back to a selection
        const area = document.createElement('textarea');
        area.value = text;
        document.body.appendChild(area);
        area.select();
        document.execCommand('copy');
        area.remove();
      }
      const chosen = document.querySelector('#sources .selected');
      const which = chosen ? chosen.textContent.split(' · ')[0].toLowerCase() : 'the answer';
      return `Copied ${which} and its sources.`;
    },
    toggleTheme() {
      const dark = document.body.classList.toggle('dark');
      localStorage.setItem('lodestone-theme', dark ? 'dark' : 'light');
      lodestone.labelTheme();
    },
    labelTheme() {
      const button = document.getElementById('theme-toggle');
      if (button) button.textContent = document.body.classList.contains('dark') ? 'Light theme' : 'Dark theme';
    },
    closeDrawer() {
      const column = drawer();
      if (column) column.classList.remove('open');
    },
  };

  const theme = localStorage.getItem('lodestone-theme');
  if (theme) document.body.classList.toggle('dark', theme === 'dark');
  setTimeout(lodestone.labelTheme, 500);

  // [n] in an answer brings source n into view (and opens the drawer on a narrow screen).
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#source-"]');
    const anchor = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!anchor) return;
    event.preventDefault();
    event.stopPropagation();
    const source = anchor.closest('.source') || anchor;
    if (narrow() && drawer()) drawer().classList.add('open');
    source.scrollIntoView({block: 'nearest'});
    showQuotes(source.parentElement || document);
    source.classList.add('chosen');
    setTimeout(() => source.classList.remove('chosen'), 2000);
  }, true);

  // "Open document" scrolls the cited span into view.
  document.addEventListener('toggle', (event) => {
    const details = event.target;
    if (!details.matches || !details.matches('details.document') || !details.open) return;
    const mark = details.querySelector('.document-text mark');
    const text = details.querySelector('.document-text');
    if (mark && text) text.scrollTop = Math.max(0, mark.offsetTop - text.offsetTop - 40);
  }, true);

  // Labels gradio leaves out: the calendar buttons, icon buttons without a name, the examples' list role.
  const repairLabels = () => {
    document.querySelectorAll('#as-of .calendar, #again-date .calendar').forEach((button) => {
      if (!button.getAttribute('aria-label')) button.setAttribute('aria-label', 'Choose a date from a calendar');
    });
    document.querySelectorAll('button[aria-label=""]').forEach((button) => {
      const name = button.getAttribute('title') || button.closest('.icon-button-wrapper') && 'Chat tools';
      button.setAttribute('aria-label', name || 'Button');
    });
    document.querySelectorAll('#chat .examples[role]').forEach((list) => list.removeAttribute('role'));
  };

  // New sources: each passage opens at its highlighted quote. A new question is kept in view above its answer.
  let questions = 0;
  let sidebarSettled = false;
  const settleSidebar = () => {  // on a phone the history starts folded away, out of the chat's way
    const sidebar = document.querySelector('.sidebar');
    if (!sidebar || sidebarSettled) return;
    sidebarSettled = true;
    if (narrow() && sidebar.classList.contains('open')) sidebar.querySelector('.toggle-button')?.click();
  };
  new MutationObserver(() => {
    repairLabels();
    settleSidebar();
    const sources = document.getElementById('sources');
    if (sources) showQuotes(sources);
    const asked = document.querySelectorAll('#chat [data-testid="user"]');
    if (asked.length > questions) asked[asked.length - 1].scrollIntoView({block: 'start'});
    questions = asked.length;
  }).observe(document.body, {childList: true, subtree: true});

  document.addEventListener('keydown', (event) => {
    const typing = ['INPUT', 'TEXTAREA'].includes(event.target.tagName) || event.target.isContentEditable;
    if (event.key === '/' && !typing) {
      event.preventDefault();
      document.querySelector('#question textarea')?.focus();
    } else if (event.altKey && (event.key === 'n' || event.key === 'N')) {
      event.preventDefault();
      document.getElementById('new-conversation')?.click();
    } else if (event.key === 'Escape') {
      if (drawer()?.classList.contains('open')) lodestone.closeDrawer();
      else document.getElementById('stop')?.click();
    }
  });
}
