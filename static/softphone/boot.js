// Loads the softphone's WebAssembly module and starts it. Everything else is Rust (adapter-wasm).
// Relative, so that the page's versioned URL (/static/v/<hash>/softphone/boot.js) loads the same version's glue.
import init, { start } from '../pkg/callpop_adapter.js';

init().then(start).catch((error) => {
  const notice = document.getElementById('notice');
  notice.textContent = 'The softphone could not load. Reload the page; if it persists, tell your administrator.';
  notice.hidden = false;
  document.getElementById('app').dataset.ready = '1';
  console.error(error);
});
