// Runs before the first paint (a classic script in <head>, allowed by `script-src 'self'`): puts the
// remembered theme, or the system's, on <html data-theme> so the page never flashes the wrong one.
// theme.js takes over once the modules load.
(function () {
  var choice = 'system';
  try {
    choice = localStorage.getItem('natter.theme') || 'system';
  } catch (e) {
    /* storage blocked: follow the system */
  }
  var dark = choice === 'dark' || (choice !== 'light' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
})();
