// Starts the dashboard (Leptos, wasm). A file of its own rather than an inline script
// so that the dashboard's Content-Security-Policy can forbid inline scripts.
import init from '/dashboard/app.js';
init({ module_or_path: '/dashboard/app_bg.wasm' }).catch((error) => {
  document.getElementById('app').textContent = 'The dashboard could not start: ' + error;
});
