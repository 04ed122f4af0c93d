// A tiny web server for the browser tests: a test page that loads the published
// @bklit/sdk from its own dist files, with the SDK configuration written into the page.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { REPO_ROOT } from '../support/bklit.mjs';

const SDK_DIST = path.join(REPO_ROOT, 'node_modules', '@bklit', 'sdk', 'dist');

export function testPage(config) {
  // The page wraps WebSocket only to show and expose what the server answered; the SDK
  // itself is loaded untouched from its published files.
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Bklit SDK test shop</title>
<style>
  body { font: 15px system-ui, sans-serif; margin: 2rem; color: #222; }
  h1 { margin: 0 0 .5rem; }
  #path { color: #555; }
  button { font-size: 1rem; padding: .5rem 1rem; margin: 1rem 0; }
  ol { font: 12px ui-monospace, monospace; background: #f4f4f4; padding: 1rem 2.5rem; }
</style></head>
<body>
  <h1>Bklit SDK test shop</h1>
  <div>Current page: <span id="path"></span></div>
  <button id="cta">Sign Up (pro)</button>
  <h2>Frames from the server</h2>
  <ol id="frames"></ol>
  <script type="module">
    const config = ${JSON.stringify(config)};
    const frames = [];
    window.__frames = frames;
    const list = document.getElementById('frames');
    const showPath = () => { document.getElementById('path').textContent = location.pathname + location.search; };
    showPath();
    const NativeWebSocket = window.WebSocket;
    window.WebSocket = class extends NativeWebSocket {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          let f;
          try { f = JSON.parse(e.data); } catch { f = { type: 'unparsable', text: String(e.data) }; }
          frames.push(f);
          const li = document.createElement('li');
          li.textContent = JSON.stringify(f);
          list.appendChild(li);
        });
        this.addEventListener('close', (e) => frames.push({ type: '__closed', code: e.code }));
      }
    };
    const { initBklit, trackEvent } = await import('/sdk/index.mjs');
    initBklit(config);
    window.__trackEvent = trackEvent;
    window.__navigate = (p) => { history.pushState({}, '', p); showPath(); };
    document.getElementById('cta').addEventListener('click', () =>
      trackEvent('cta-button', 'click', { plan: 'pro' }));
    window.__ready = true;
  </script>
</body></html>`;
}

export function startPageServer(config) {
  const html = testPage(config);
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/sdk/')) {
      const name = url.pathname.slice('/sdk/'.length);
      const file = path.join(SDK_DIST, name);
      if (!/^[\w.-]+\.mjs$/.test(name) || !fs.existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/javascript' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}
