/**
 * The dashboard's HTML: the page shell (the script fills it in) and the small pages of the login
 * flow. No inline script or style (the CSP forbids them); every dynamic value is escaped.
 */

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A page saying why there is no dashboard (no session, bad link) and how to get in. */
export function messagePage(title: string, text: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Sheet Archiver</title></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>
<p>On the worker's machine, run <code>sheet-archiver dashboard</code> and open the link it prints (it holds for 15 minutes).</p></main></body></html>
`;
}

/**
 * The answer to a good login link: a page that moves on to /ui by itself. Not a redirect: when
 * the link was clicked on another site (mail, chat), the browser counts a redirect chain as that
 * site's navigation and leaves the SameSite=Strict session cookie out of the /ui request; a
 * navigation this page starts is same-site, so the cookie goes with it (RFC 6265bis §5.2,
 * "same-site" requests). A meta refresh needs no script, so the CSP stays as it is.
 */
export function signedInPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0; url=/ui">
<title>Signed in · Sheet Archiver</title></head>
<body><main><h1>Signed in</h1><p>Opening the dashboard… If nothing happens, <a href="/ui">open it here</a>.</p></main></body></html>
`;
}

/**
 * The dashboard shell. Sections are filled by dashboard.js; the CSRF token travels in a meta
 * tag (read by the script, sent back in X-CSRF-Token).
 */
export function dashboardPage(csrf: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeHtml(csrf)}">
<title>Sheet Archiver · dashboard</title>
<link rel="stylesheet" href="/ui/assets/dashboard.css">
<script type="module" src="/ui/assets/dashboard.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to the jobs</a>
<header class="top">
  <h1>Sheet Archiver</h1>
  <p id="health" class="health" role="status">Loading…</p>
  <p id="live" class="live" role="status" aria-live="polite">Connecting…</p>
  <button type="button" id="logout" class="quiet">Sign out</button>
</header>
<main id="main" tabindex="-1">
  <section aria-labelledby="h-counts" class="card counts">
    <h2 id="h-counts">Jobs by status</h2>
    <ul id="counts" class="count-list" aria-live="polite"></ul>
  </section>
  <section aria-labelledby="h-running" class="card">
    <h2 id="h-running">Running and waiting</h2>
    <ul id="running" class="job-list"></ul>
    <p id="running-empty" class="empty">No job is running or waiting.</p>
  </section>
  <section aria-labelledby="h-failing" class="card wide">
    <h2 id="h-failing">Failing rows</h2>
    <div class="table-wrap"><table id="failing" aria-labelledby="h-failing">
      <thead><tr><th scope="col">Row</th><th scope="col">Source</th><th scope="col">Category</th><th scope="col">Error and advice</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
      <tbody></tbody>
    </table></div>
    <p id="failing-empty" class="empty">No failed or cancelled jobs.</p>
    <p id="action-result" class="result" role="status" aria-live="polite"></p>
  </section>
  <section aria-labelledby="h-trend" class="card wide">
    <h2 id="h-trend">Last 24 hours</h2>
    <p id="trend-summary"></p>
    <div id="chart" class="chart" role="img" aria-labelledby="trend-summary"></div>
  </section>
  <section aria-labelledby="h-alerts" class="card">
    <h2 id="h-alerts">Alerts</h2>
    <ul id="alerts" class="alert-list"></ul>
    <p id="alerts-empty" class="empty">No alerts.</p>
  </section>
  <section aria-labelledby="h-lanes" class="card">
    <h2 id="h-lanes">Lane pauses</h2>
    <ul id="lanes" class="lane-list"></ul>
    <p id="lanes-empty" class="empty">No lane is paused.</p>
  </section>
</main>
</body>
</html>
`;
}
