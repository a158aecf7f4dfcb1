/*
 * The SCIM settings page (served at /admin/scim): plain browser JavaScript, no build step, no
 * third-party code. It talks only to the administration API (docs/admin-api.md) and puts data on
 * the page with textContent and setAttribute, never as markup.
 *
 * The pure functions at the top are exported when Node loads this file, for the unit tests.
 */
(function () {
  'use strict';

  const DAY_MS = 24 * 60 * 60 * 1000;
  const TOKEN_EXPIRY_DAYS = [30, 90, 365];
  const DEFAULT_TOKEN_EXPIRY_DAYS = 365;
  // The API wants an expiry at least 29 days ahead by its own clock: the request's travel time and
  // a small clock difference must not push a 30-day token under that.
  const EXPIRY_MARGIN_MS = 10 * 60 * 1000;
  // api-docs/admin/scim-groups pages hold at most 100 groups; the page reads them all.
  const GROUP_PAGE_SIZE = 100;

  /** 'enabled' | 'paused' | 'disabled', from the scim-settings attributes. */
  function scimState(attributes) {
    if (!attributes || attributes.enabled !== true) return 'disabled';
    return attributes.paused === true ? 'paused' : 'enabled';
  }

  /**
   * The `expired-at` to send for an expiry preset, or undefined for 365 days: the API's own default,
   * which no clock difference can push over its one-year maximum.
   */
  function expiryFor(days, now) {
    if (!TOKEN_EXPIRY_DAYS.includes(days)) throw new RangeError(`no expiry preset of ${days} days`);
    if (days === DEFAULT_TOKEN_EXPIRY_DAYS) return undefined;
    return new Date(now.getTime() + days * DAY_MS + EXPIRY_MARGIN_MS).toISOString();
  }

  function parseDate(value) {
    if (value === null || value === undefined || value === '') return undefined;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }

  /** "12 Mar 2026, 14:05" in the reader's locale and time zone (both overridable for tests). */
  function formatDateTime(value, options) {
    const { locale, timeZone, seconds = false } = options || {};
    const date = parseDate(value);
    if (!date) return value ? String(value) : '';
    return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short', timeZone }).format(date);
  }

  /** "in 90 days", "3 hours ago", "now": days are clearer than months for token expiry. */
  function relativeTime(value, now, locale) {
    const date = parseDate(value);
    if (!date) return '';
    const diff = date.getTime() - now.getTime();
    const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    const units = [
      ['day', DAY_MS],
      ['hour', 60 * 60 * 1000],
      ['minute', 60 * 1000],
    ];
    for (const [unit, ms] of units) {
      if (Math.abs(diff) >= ms) return format.format(Math.round(diff / ms), unit);
    }
    return format.format(0, 'second');
  }

  /** What to tell the administrator about a failed call: JSON:API `errors[0].detail` first. */
  function errorMessage(status, body) {
    const first = body && Array.isArray(body.errors) ? body.errors[0] : undefined;
    if (first && typeof first.detail === 'string' && first.detail.trim()) return first.detail;
    if (first && typeof first.title === 'string' && first.title.trim()) return first.title;
    if (body && typeof body.detail === 'string' && body.detail.trim()) return body.detail;
    if (status === 0) return 'The service did not answer. Check the connection and try again.';
    return `The request failed (HTTP ${status}).`;
  }

  /** Who did it: the actor's kind and id, and the SCIM token's description when one was used. */
  function actorLabel(attributes) {
    const kind = String((attributes && attributes['actor-kind']) || 'unknown').replace(/[-_]+/g, ' ');
    const id = attributes && attributes['actor-id'];
    const token = attributes && attributes['token-description'];
    return `${kind}${id ? ` ${id}` : ''}${token ? ` (token “${token}”)` : ''}`;
  }

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
  }

  /** The alert over the token list once tokens have expired (scim/manage/tokens), or '' when none has. */
  function expiredTokensAlert(tokens) {
    const expired = (tokens || []).filter((token) => token && token.attributes && token.attributes.expired === true).length;
    if (expired === 0) return '';
    return `${plural(expired, 'SCIM token has', 'SCIM tokens have')} expired: an identity provider that still uses ${expired === 1 ? 'it' : 'one of them'} can no longer provision. Create a new token, give it to the identity provider, then revoke the expired ${expired === 1 ? 'one' : 'ones'}.`;
  }

  /** The query of page `number` of the SCIM group list. */
  function groupPagePath(number) {
    return `/scim-groups?page%5Bnumber%5D=${number}&page%5Bsize%5D=${GROUP_PAGE_SIZE}`;
  }

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  /** The audit API's path for the aggregate of a stream: users/<id>, groups/<id>, teams/<id>; null for streams it has no history of. */
  function auditSubjectOfStream(streamId) {
    const text = String(streamId || '');
    if (text.startsWith('user-') && UUID.test(text.slice(5))) return { kind: 'users', id: text.slice(5) };
    if (text.startsWith('group-') && UUID.test(text.slice(6))) return { kind: 'groups', id: text.slice(6) };
    if (/^team-[a-z0-9][a-z0-9-]{0,62}$/.test(text)) return { kind: 'teams', id: text };
    return null;
  }

  /** One change of a history entry as a line: `+ path: value`, `- path: value`, `~ path: before → after`. */
  function changeText(change) {
    const value = (v) => (v === undefined ? 'nothing' : JSON.stringify(v));
    if (!change) return '';
    if (change.op === 'added') return `+ ${change.path}: ${value(change.after)}`;
    if (change.op === 'removed') return `- ${change.path}: ${value(change.before)}`;
    return `~ ${change.path}: ${value(change.before)} → ${value(change.after)}`;
  }

  /** A datetime-local value (the reader's zone, no offset) as an RFC 3339 time in UTC; undefined when it is not one. */
  function localDateTimeToIso(value) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(String(value || ''))) return undefined;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }

  /** `now` as a datetime-local value, to the second, in the reader's zone. */
  function localDateTimeValue(now) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  }

  const helpers = {
    scimState,
    expiryFor,
    formatDateTime,
    relativeTime,
    errorMessage,
    actorLabel,
    plural,
    expiredTokensAlert,
    groupPagePath,
    auditSubjectOfStream,
    changeText,
    localDateTimeToIso,
    localDateTimeValue,
    TOKEN_EXPIRY_DAYS,
  };
  if (typeof module === 'object' && module && module.exports) module.exports = helpers;
  if (typeof document === 'object' && document) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
    else boot();
  }

  // ---------------------------------------------------------------------------------------------

  function boot() {
    const API = '/api/v2/admin';
    const JSON_API = 'application/vnd.api+json';
    const TOKEN_KEY = 'scim-admin-token';
    const ACTIVITY_INTERVAL_MS = 5000;
    const STATE_EXPLANATIONS = {
      enabled: 'Your identity provider can provision users and groups.',
      paused: 'Provisioning requests are refused (403) until you resume. Users, groups, tokens and team links are kept; linked teams stop updating, and resuming does not replay what was missed.',
      disabled: 'SCIM is off: no identity provider can provision users or groups. Enable it, then create a token.',
    };

    const $ = (id) => {
      const node = document.getElementById(id);
      if (!node) throw new Error(`the page has no #${id}`);
      return node;
    };
    const el = {
      main: $('main'),
      status: $('status'),
      error: $('error'),
      signIn: $('sign-in'),
      signInForm: $('sign-in-form'),
      adminToken: $('admin-token'),
      signOut: $('sign-out'),
      console: $('console'),
      state: $('scim-state'),
      stateExplanation: $('state-explanation'),
      stateHeading: $('state-heading'),
      tenantUrl: $('tenant-url'),
      enable: $('enable-scim'),
      pause: $('pause-scim'),
      resume: $('resume-scim'),
      disable: $('disable-scim'),
      cleanup: $('cleanup-progress'),
      cleanupText: $('cleanup-text'),
      cleanupBar: $('cleanup-bar'),
      createTokenForm: $('create-token-form'),
      tokenDescription: $('token-description'),
      tokenExpiry: $('token-expiry'),
      tokenRows: $('token-rows'),
      noTokens: $('no-tokens'),
      expiredTokens: $('expired-tokens'),
      siteAdminForm: $('site-admin-form'),
      siteAdminSelect: $('site-admin-group'),
      siteAdminCurrent: $('site-admin-current'),
      siteAdminClear: $('site-admin-clear'),
      refreshTeams: $('refresh-teams'),
      createTeamForm: $('create-team-form'),
      teamName: $('team-name'),
      teamRows: $('team-rows'),
      refreshActivity: $('refresh-activity'),
      activityAuto: $('activity-auto'),
      activityUpdated: $('activity-updated'),
      activityRows: $('activity-rows'),
      noActivity: $('no-activity'),
      auditSection: $('audit-section'),
      auditSearchForm: $('audit-search-form'),
      auditQuery: $('audit-query'),
      auditResults: $('audit-results'),
      auditNoResults: $('audit-no-results'),
      auditSubject: $('audit-subject'),
      auditSubjectHeading: $('audit-subject-heading'),
      auditSubjectNames: $('audit-subject-names'),
      auditHistoryRows: $('audit-history-rows'),
      auditAsOfForm: $('audit-as-of-form'),
      auditAt: $('audit-at'),
      auditState: $('audit-state'),
      tokenDialog: $('token-dialog'),
      tokenValue: $('token-value'),
      copyToken: $('copy-token'),
      copyStatus: $('copy-status'),
      closeTokenDialog: $('close-token-dialog'),
      confirmDialog: $('confirm-dialog'),
      confirmHeading: $('confirm-heading'),
      confirmMessage: $('confirm-message'),
      confirmButton: $('confirm-button'),
    };

    const state = {
      busy: 0,
      settings: undefined,
      groups: [],
      activityTimer: undefined,
      activityInFlight: false,
      activityKey: '',
      auditSubject: null,
    };

    // --- the admin token: this tab's sessionStorage only, never a URL, never logged ----------

    let tokenInMemory = null; // where sessionStorage is unavailable (a locked-down browser)
    function readToken() {
      try {
        return window.sessionStorage.getItem(TOKEN_KEY) || tokenInMemory;
      } catch {
        return tokenInMemory;
      }
    }
    function storeToken(token) {
      tokenInMemory = token;
      try {
        window.sessionStorage.setItem(TOKEN_KEY, token);
        tokenInMemory = null;
      } catch {
        // kept in memory only
      }
    }
    function forgetToken() {
      tokenInMemory = null;
      try {
        window.sessionStorage.removeItem(TOKEN_KEY);
      } catch {
        // nothing stored
      }
    }

    // --- the API --------------------------------------------------------------------------------

    class ApiError extends Error {
      constructor(status, message) {
        super(message);
        this.name = 'ApiError';
        this.status = status;
      }
    }

    async function api(method, path, body) {
      const token = readToken();
      if (!token) throw new ApiError(401, 'Sign in with an administrator token first.');
      let response;
      try {
        response = await fetch(API + path, {
          method,
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': JSON_API, Accept: JSON_API },
          body: body === undefined ? undefined : JSON.stringify(body),
          cache: 'no-store',
          credentials: 'same-origin',
          redirect: 'error',
          referrerPolicy: 'no-referrer',
        });
      } catch {
        throw new ApiError(0, errorMessage(0, null));
      }
      const text = response.status === 204 ? '' : await response.text();
      let payload = null;
      try {
        payload = text ? JSON.parse(text) : null;
      } catch {
        payload = null;
      }
      if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, payload));
      return payload;
    }

    const list = (doc) => (doc && Array.isArray(doc.data) ? doc.data : []);
    const attrs = (resource) => (resource && resource.attributes) || {};
    const path = (...parts) => parts.map((part) => `/${encodeURIComponent(part)}`).join('');

    // --- messages, busy state and focus ------------------------------------------------------------

    function showStatus(message) {
      el.error.textContent = '';
      el.status.textContent = message;
    }
    function showError(message) {
      el.status.textContent = '';
      el.error.textContent = message;
    }
    function clearMessages() {
      el.status.textContent = '';
      el.error.textContent = '';
    }

    function handleError(error) {
      if (error instanceof ApiError && error.status === 401) {
        signOut('The administrator token was not accepted. Sign in again.');
        return;
      }
      showError(error instanceof ApiError ? error.message : `Something went wrong: ${error && error.message ? error.message : error}`);
    }

    function controls() {
      return document.querySelectorAll('header button, main button, main input, main select');
    }

    /** While a request runs every control is disabled; those disabled for a reason of their own stay so. */
    function applyBusy() {
      const busy = state.busy > 0;
      el.main.setAttribute('aria-busy', String(busy));
      for (const control of controls()) {
        if (busy && !control.disabled) {
          control.disabled = true;
          control.dataset.busyDisabled = '';
        } else if (!busy && 'busyDisabled' in control.dataset) {
          control.disabled = false;
          delete control.dataset.busyDisabled;
        }
      }
    }

    function setEnabled(control, enabled) {
      delete control.dataset.busyDisabled;
      control.disabled = !enabled;
    }

    function focusable(node) {
      return node instanceof HTMLElement && node.isConnected && !node.disabled && !node.closest('[hidden]') && node.getClientRects().length > 0;
    }

    /** Puts focus back where the administrator was, or on the heading of that section. */
    function restoreFocus(previous, section) {
      if (document.activeElement && document.activeElement !== document.body) return;
      if (focusable(previous)) previous.focus();
      else if (section && section.isConnected) {
        const heading = section.querySelector('h2[tabindex]');
        if (heading && focusable(heading)) heading.focus();
      }
    }

    /** Runs one administrator action: busy while it runs, then the page is read again. */
    async function act(work, options) {
      const { success, refresh = true } = options || {};
      clearMessages();
      const previous = document.activeElement;
      const section = previous instanceof HTMLElement ? previous.closest('section') : null;
      state.busy += 1;
      applyBusy();
      try {
        const result = await work();
        if (refresh) await refreshAll();
        if (success) showStatus(typeof success === 'function' ? success(result) : success);
        return result;
      } catch (error) {
        handleError(error);
        return undefined;
      } finally {
        state.busy -= 1;
        applyBusy();
        if (el.tokenDialog.open || el.confirmDialog.open) {
          // the dialog holds focus
        } else if (el.console.hidden) {
          // Signed out (a refused token): back to the token field, now enabled again.
          if (state.busy === 0) el.adminToken.focus();
        } else restoreFocus(previous, section);
      }
    }

    function confirmAction({ title, message, confirmLabel }) {
      return new Promise((resolve) => {
        el.confirmHeading.textContent = title;
        el.confirmMessage.textContent = message;
        el.confirmButton.textContent = confirmLabel;
        el.confirmDialog.returnValue = '';
        el.confirmDialog.addEventListener('close', () => resolve(el.confirmDialog.returnValue === 'confirm'), { once: true });
        el.confirmDialog.showModal();
      });
    }

    // --- small DOM builders: data only ever becomes text or attribute values ----------------------

    function h(tag, attributes, children) {
      const node = document.createElement(tag);
      for (const [name, value] of Object.entries(attributes || {})) {
        if (value === undefined || value === null || value === false) continue;
        if (name === 'text') node.textContent = String(value);
        else if (name === 'onClick') node.addEventListener('click', value);
        else node.setAttribute(name, value === true ? '' : String(value));
      }
      for (const child of children || []) if (child !== null && child !== undefined) node.append(child);
      return node;
    }

    function timeElement(value, options) {
      if (!value) return h('span', { class: 'muted', text: (options && options.empty) || '—' });
      const absolute = formatDateTime(value, { seconds: Boolean(options && options.seconds) });
      const relative = options && options.relative ? relativeTime(value, new Date()) : '';
      const time = h('time', { datetime: value, title: absolute, text: absolute });
      // The relative part on a line of its own: a narrow column wraps there, not inside a date.
      return relative ? h('span', { class: 'time' }, [time, h('span', { class: 'relative', text: relative })]) : time;
    }

    /** A table cell that names its column in the stacked layout of narrow screens. */
    function cell(label, attributes, children) {
      return h('td', { ...(attributes || {}), 'data-label': label }, children);
    }

    // --- reading the page's data ----------------------------------------------------------------

    /** Every SCIM group, page by page (api-docs/admin/scim-groups pages its list). */
    async function allGroups() {
      const groups = [];
      for (let number = 1; ; number += 1) {
        const page = await api('GET', groupPagePath(number));
        groups.push(...list(page));
        const next = page && page.meta && page.meta.pagination ? page.meta.pagination['next-page'] : null;
        if (!next || number >= 1000) return groups;
      }
    }

    /**
     * The removal that follows a disable runs in the background: its progress, read again every
     * second while it runs; once done the page is refreshed.
     */
    async function refreshCleanup() {
      const cleanup = attrs((await api('GET', '/scim-cleanup') || {}).data);
      const running = Boolean(cleanup && cleanup.running);
      el.cleanup.hidden = !running;
      if (running) {
        const total = Math.max(1, cleanup.total || 0);
        const removed = Math.max(0, total - cleanup.remaining);
        el.cleanupText.textContent = `Removing SCIM data: ${removed.toLocaleString()} of ${total.toLocaleString()} identities, groups and tokens removed.`;
        el.cleanupBar.value = Math.round((removed / total) * 100);
        clearTimeout(state.cleanupTimer);
        state.cleanupTimer = setTimeout(() => refreshCleanup().catch(() => undefined), 1000);
      } else if (state.cleanupWasRunning) {
        state.cleanupWasRunning = false;
        await refreshAll();
        return;
      }
      state.cleanupWasRunning = running;
    }

    async function refreshAll() {
      // The settings first, alone: a token the API refuses costs one request, not one per section.
      const settings = await api('GET', '/scim-settings');
      refreshCleanup().catch(() => undefined);
      const [tokens, groups, teams, activity] = await Promise.all([
        api('GET', '/scim-tokens'),
        allGroups(),
        api('GET', '/teams'),
        api('GET', '/scim-activity?limit=50'),
      ]);
      renderSettings(attrs(settings && settings.data));
      renderTokens(list(tokens));
      renderGroups(groups);
      renderTeams(list(teams));
      renderActivity(list(activity));
    }

    async function refreshTeamsAndGroups() {
      const [settings, groups, teams] = await Promise.all([api('GET', '/scim-settings'), allGroups(), api('GET', '/teams')]);
      renderSettings(attrs(settings && settings.data));
      renderGroups(groups);
      renderTeams(list(teams));
    }

    async function refreshActivity() {
      renderActivity(list(await api('GET', '/scim-activity?limit=50')));
    }

    // --- provisioning state -----------------------------------------------------------------------

    function renderSettings(settings) {
      state.settings = settings;
      const current = scimState(settings);
      el.state.textContent = current;
      el.state.dataset.state = current;
      el.stateExplanation.textContent = STATE_EXPLANATIONS[current];
      el.enable.hidden = current !== 'disabled';
      el.pause.hidden = current !== 'enabled';
      el.resume.hidden = current !== 'paused';
      el.disable.hidden = current === 'disabled';

      const siteAdminId = settings['site-admin-group-scim-id'] || null;
      el.siteAdminCurrent.textContent = siteAdminId ? settings['site-admin-group-display-name'] || siteAdminId : 'none';
      setEnabled(el.siteAdminClear, Boolean(siteAdminId));
      applyBusy();
    }

    function patchSettings(attributes) {
      return api('PATCH', '/scim-settings', { data: { type: 'scim-settings', attributes } });
    }

    el.enable.addEventListener('click', () => act(() => patchSettings({ enabled: true }), { success: 'SCIM provisioning is enabled.' }));
    el.pause.addEventListener('click', () => act(() => patchSettings({ paused: true }), { success: 'SCIM provisioning is paused.' }));
    el.resume.addEventListener('click', () => act(() => patchSettings({ paused: false }), { success: 'SCIM provisioning is resumed.' }));
    el.disable.addEventListener('click', async () => {
      const confirmed = await confirmAction({
        title: 'Disable SCIM provisioning?',
        message:
          'Disabling removes every SCIM identity, group, membership, team link and SCIM token. ' +
          'Platform accounts, teams and admin grants are kept. This cannot be undone: to provision again you enable SCIM, ' +
          'create a new token and let your identity provider send everything again.',
        confirmLabel: 'Disable and remove SCIM data',
      });
      if (!confirmed) return;
      await act(() => api('DELETE', '/scim-settings'), { success: 'SCIM provisioning is disabled; its data is being removed.' });
    });

    // --- tokens ---------------------------------------------------------------------------------------

    function renderTokens(tokens) {
      el.tokenRows.replaceChildren(
        ...tokens.map((token) => {
          const a = attrs(token);
          const description = a.description || '(no description)';
          const expired = a.expired === true;
          return h('tr', { 'data-testid': 'token-row', 'data-token-id': token.id, 'data-expired': expired ? 'true' : 'false' }, [
            cell('Description', { 'data-testid': 'token-description-cell' }, [
              h('span', { text: description }),
              expired ? h('span', { class: 'badge badge-expired', 'data-testid': 'token-expired', text: 'expired' }) : null,
            ]),
            cell('Created', {}, [timeElement(a['created-at'])]),
            cell(expired ? 'Expired' : 'Expires', {}, [timeElement(a['expired-at'], { relative: true })]),
            cell('Last used', {}, [timeElement(a['last-used-at'], { relative: true, empty: 'never' })]),
            cell('Actions', { class: 'row-actions' }, [
              h('button', {
                type: 'button',
                class: 'danger small',
                'data-testid': 'revoke-token',
                'aria-label': `Revoke token ${description}`,
                text: 'Revoke',
                onClick: () => revokeToken(token.id, description),
              }),
            ]),
          ]);
        }),
      );
      el.noTokens.hidden = tokens.length > 0;
      const alert = expiredTokensAlert(tokens);
      el.expiredTokens.textContent = alert;
      el.expiredTokens.hidden = !alert;
      applyBusy();
    }

    async function revokeToken(id, description) {
      const confirmed = await confirmAction({
        title: 'Revoke this SCIM token?',
        message: `The token “${description}” stops working at once: the next request that uses it is refused (401). An identity provider that still uses it stops provisioning until you give it another token.`,
        confirmLabel: 'Revoke token',
      });
      if (!confirmed) return;
      await act(() => api('DELETE', path('scim-tokens', id)), { success: `The token “${description}” is revoked.` });
    }

    el.createTokenForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const description = el.tokenDescription.value.trim();
      if (!description) {
        el.tokenDescription.setAttribute('aria-invalid', 'true');
        showError('Enter a description for the token, such as the identity provider that will use it.');
        el.tokenDescription.focus();
        return;
      }
      el.tokenDescription.removeAttribute('aria-invalid');
      const attributes = { description };
      const expiredAt = expiryFor(Number(el.tokenExpiry.value), new Date());
      if (expiredAt) attributes['expired-at'] = expiredAt;
      act(
        async () => {
          const created = await api('POST', '/scim-tokens', { data: { type: 'authentication-tokens', attributes } });
          const value = attrs(created && created.data).token;
          if (typeof value !== 'string' || !value) {
            throw new ApiError(500, 'The token was created but its value did not arrive. Revoke it and create another.');
          }
          el.createTokenForm.reset();
          showTokenOnce(value);
        },
        { success: `The token “${description}” is created. Copy it now: it is not shown again.` },
      );
    });

    function showTokenOnce(value) {
      el.tokenValue.value = value;
      el.copyStatus.textContent = '';
      el.tokenDialog.showModal();
    }

    // The value leaves the page with the dialog: nothing keeps it afterwards. The close event comes
    // a moment later, so the button and Escape (cancel) clear it at once.
    function forgetShownToken() {
      el.tokenValue.value = '';
      el.copyStatus.textContent = '';
    }
    el.tokenDialog.addEventListener('cancel', forgetShownToken);
    el.tokenDialog.addEventListener('close', () => {
      forgetShownToken();
      // What had focus before was disabled while the token was created, so the browser cannot
      // return there: go to the token list.
      const focused = document.activeElement;
      if (!focused || focused === document.body || el.tokenDialog.contains(focused)) $('tokens-heading').focus();
    });
    el.closeTokenDialog.addEventListener('click', () => {
      forgetShownToken();
      el.tokenDialog.close();
    });
    el.copyToken.addEventListener('click', async () => {
      const value = el.tokenValue.value;
      try {
        if (!window.isSecureContext || !navigator.clipboard) throw new Error('no clipboard');
        await navigator.clipboard.writeText(value);
        el.copyStatus.textContent = 'Copied to the clipboard.';
      } catch {
        el.tokenValue.focus();
        el.tokenValue.select();
        el.copyStatus.textContent = 'This browser did not allow copying. The token is selected: press Ctrl+C (⌘C on a Mac) to copy it.';
      }
    });
    // Clicking into the value selects all of it, ready to copy by hand.
    el.tokenValue.addEventListener('focus', () => el.tokenValue.select());

    // --- site-admin group ------------------------------------------------------------------------

    function groupLabel(group) {
      const a = attrs(group);
      return `${a.name || group.id} (${plural(Number(a['member-count']) || 0, 'member', 'members')})`;
    }

    function renderGroups(groups) {
      state.groups = groups;
      const current = (state.settings && state.settings['site-admin-group-scim-id']) || '';
      el.siteAdminSelect.replaceChildren(
        h('option', { value: '', text: groups.length ? 'Choose a group…' : 'No SCIM groups yet' }),
        ...groups.map((group) => h('option', { value: group.id, selected: group.id === current, text: groupLabel(group) })),
      );
      el.siteAdminSelect.value = current;
      applyBusy();
    }

    el.siteAdminForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = el.siteAdminSelect.value;
      if (!chosen) {
        showError('Choose a SCIM group, or use Clear to have no site-admin group.');
        el.siteAdminSelect.focus();
        return;
      }
      const current = state.settings && state.settings['site-admin-group-scim-id'];
      if (current && current !== chosen) {
        const confirmed = await confirmAction({
          title: 'Change the site-admin group?',
          message: `Members of “${el.siteAdminCurrent.textContent}” lose the site-admin rights SCIM granted them, and the active members of the new group become site administrators.`,
          confirmLabel: 'Change the site-admin group',
        });
        if (!confirmed) return;
      }
      await act(() => patchSettings({ 'site-admin-group-scim-id': chosen }), { success: 'The site-admin group is saved.' });
    });

    el.siteAdminClear.addEventListener('click', () =>
      act(() => patchSettings({ 'site-admin-group-scim-id': null }), { success: 'The site-admin group is cleared; nobody lost site-admin rights.' }),
    );

    // --- teams ---------------------------------------------------------------------------------------

    function renderTeams(teams) {
      const siteAdminId = state.settings && state.settings['site-admin-group-scim-id'];
      const linkable = state.groups.filter((group) => group.id !== siteAdminId);
      el.teamRows.replaceChildren(...teams.map((team, index) => teamRow(team, index, linkable)));
      applyBusy();
    }

    function teamRow(team, index, linkable) {
      const a = attrs(team);
      const name = a.name || team.id;
      const members = Array.isArray(a.members) ? a.members : [];
      const linked = a['scim-linked'] === true;
      const paused = a['scim-sync-paused'] === true;

      const groupCell = linked
        ? cell('SCIM group', {}, [
            h('span', { 'data-testid': 'team-linked-group', text: a['scim-group-name'] || a['scim-group-id'] }),
            paused ? h('span', { class: 'badge badge-paused', 'data-testid': 'team-link-paused', text: 'link paused' }) : null,
            a['scim-updated-at'] ? h('span', { class: 'synced muted' }, ['members synced ', timeElement(a['scim-updated-at'])]) : null,
          ])
        : cell('SCIM group', {}, [h('span', { class: 'muted', 'data-testid': 'team-linked-group', text: 'not linked' })]);

      const memberList = members.length
        ? h(
            'ul',
            { class: 'members', 'data-testid': 'team-members', 'aria-label': `Members of ${name}` },
            members.map((member) =>
              h('li', { 'data-testid': 'team-member' }, [
                member.username || member['account-id'] || '(unknown)',
                member.kind === 'service-account' ? h('span', { class: 'tag', text: 'service account' }) : null,
              ]),
            ),
          )
        : h('span', { class: 'muted', 'data-testid': 'team-members', text: 'No members' });

      return h('tr', { 'data-testid': 'team-row', 'data-team-id': team.id, 'data-team-name': name }, [
        h('th', { scope: 'row' }, [name, a['is-owners'] ? h('span', { class: 'tag', text: 'owners' }) : null]),
        groupCell,
        cell('Members', {}, [memberList]),
        cell('Link', { class: 'row-actions' }, linkControls(team, index, { name, linked, paused, members, linkable, owners: a['is-owners'] === true })),
      ]);
    }

    function linkControls(team, index, { name, linked, paused, members, linkable, owners }) {
      if (owners) return [h('span', { class: 'muted', text: 'The owners team cannot be linked.' })];
      if (linked) {
        return [
          h('button', {
            type: 'button',
            class: 'secondary small',
            'data-testid': paused ? 'resume-link' : 'pause-link',
            'aria-label': `${paused ? 'Resume' : 'Pause'} the SCIM link of ${name}`,
            text: paused ? 'Resume link' : 'Pause link',
            onClick: () =>
              act(() => api('PATCH', `${path('teams', team.id)}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes: { 'scim-sync-paused': !paused } } }), {
                success: paused ? `The link of ${name} is resumed and its members brought up to date.` : `The link of ${name} is paused.`,
              }),
          }),
          h('button', {
            type: 'button',
            class: 'secondary small',
            'data-testid': 'unlink-group',
            'aria-label': `Unlink the SCIM group from ${name}`,
            text: 'Unlink',
            onClick: () =>
              act(() => api('DELETE', `${path('teams', team.id)}/scim-group-mapping`), {
                success: `${name} is unlinked; its members stay as they are.`,
              }),
          }),
        ];
      }
      if (linkable.length === 0) return [h('span', { class: 'muted', text: 'No SCIM group to link yet.' })];
      const selectId = `link-group-${index}`;
      const select = h(
        'select',
        { id: selectId, 'data-testid': 'link-group-select' },
        [h('option', { value: '', text: 'Choose a group…' }), ...linkable.map((group) => h('option', { value: group.id, text: groupLabel(group) }))],
      );
      return [
        h('label', { for: selectId, class: 'visually-hidden', text: `SCIM group for ${name}` }),
        select,
        h('button', {
          type: 'button',
          class: 'primary small',
          'data-testid': 'link-group',
          'aria-label': `Link the chosen SCIM group to ${name}`,
          text: 'Link',
          onClick: () => linkGroup(team, name, select, members),
        }),
      ];
    }

    async function linkGroup(team, name, select, members) {
      const groupId = select.value;
      if (!groupId) {
        showError(`Choose the SCIM group to link to ${name}.`);
        select.focus();
        return;
      }
      const people = members.filter((member) => member.kind !== 'service-account').length;
      if (people > 0) {
        const confirmed = await confirmAction({
          title: `Link ${name} to a SCIM group?`,
          message: `The ${plural(people, 'person', 'people')} now in ${name} are replaced by the group's active members. Service accounts stay.`,
          confirmLabel: 'Link and replace members',
        });
        if (!confirmed) return;
      }
      await act(
        () => api('POST', `${path('teams', team.id)}/scim-group-mapping`, { data: { type: 'scim-group-mapping', attributes: { 'scim-group-id': groupId } } }),
        { success: `${name} is linked to ${select.selectedOptions[0] ? select.selectedOptions[0].textContent : 'the group'}.` },
      );
    }

    el.createTeamForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const name = el.teamName.value.trim();
      if (!name) {
        el.teamName.setAttribute('aria-invalid', 'true');
        showError('Enter a name for the team.');
        el.teamName.focus();
        return;
      }
      el.teamName.removeAttribute('aria-invalid');
      act(
        async () => {
          await api('POST', '/teams', { data: { type: 'teams', attributes: { name } } });
          el.createTeamForm.reset();
        },
        { success: `The team ${name} is created.` },
      );
    });

    el.refreshTeams.addEventListener('click', () => act(refreshTeamsAndGroups, { refresh: false }));

    // --- activity feed ---------------------------------------------------------------------------

    function renderActivity(activities) {
      el.activityUpdated.textContent = `Updated ${formatDateTime(new Date().toISOString(), { seconds: true })}`;
      // Re-rendering an unchanged table every 5 seconds would disturb whoever is reading it.
      const key = activities.map((activity) => activity.id).join(',');
      if (key === state.activityKey && el.activityRows.childElementCount === activities.length) return;
      state.activityKey = key;
      el.activityRows.replaceChildren(
        ...activities.map((activity) => {
          const a = attrs(activity);
          const subject = auditSubjectOfStream(a['stream-id']);
          return h('tr', { 'data-testid': 'activity-row', 'data-event-type': a['event-type'] }, [
            cell('When', {}, [timeElement(a['occurred-at'], { seconds: true })]),
            cell('Who', { text: actorLabel(a) }),
            cell('What', {}, [h('code', { text: a['event-type'] || 'unknown' }), a.summary ? h('span', { class: 'summary', text: a.summary }) : null]),
            cell('History', { class: 'row-actions' }, [
              subject
                ? h('button', {
                    type: 'button',
                    class: 'secondary small',
                    'data-testid': 'activity-history',
                    'aria-label': `History of ${a.summary || a['stream-id']}`,
                    text: 'History',
                    onClick: () => act(() => openSubject(subject.kind, subject.id), { refresh: false }),
                  })
                : null,
            ]),
          ]);
        }),
      );
      el.noActivity.hidden = activities.length > 0;
      applyBusy();
    }

    async function pollActivity() {
      if (!el.activityAuto.checked || document.hidden || state.busy > 0 || state.activityInFlight || !readToken()) return;
      state.activityInFlight = true;
      try {
        await refreshActivity();
      } catch (error) {
        // A background refresh reports quietly, beside the feed; a refused token still signs out.
        if (error instanceof ApiError && error.status === 401) handleError(error);
        else el.activityUpdated.textContent = `Automatic refresh failed: ${error && error.message ? error.message : error}`;
      } finally {
        state.activityInFlight = false;
      }
    }

    el.refreshActivity.addEventListener('click', () => act(refreshActivity, { refresh: false }));

    // --- history and state at a time (the audit API) ----------------------------------------------

    const KIND_NOUN = { users: 'user', groups: 'group', teams: 'team' };
    const auditPath = (kind, id, what) => `/audit/${kind}/${encodeURIComponent(id)}/${what}`;

    function renderResults(subjects) {
      el.auditResults.replaceChildren(
        ...subjects.map((subject) => {
          const a = attrs(subject);
          const kind = `${a.kind}s`;
          const others = (Array.isArray(a.names) ? a.names : []).filter((name) => name !== a.name);
          return h('li', {}, [
            h('button', {
              type: 'button',
              class: 'secondary',
              'data-testid': 'audit-result',
              'data-kind': a.kind,
              'data-id': subject.id,
              text: `${a.name} (${a.kind}${a.deleted ? ', deleted' : ''})${others.length ? ` · also ${others.join(', ')}` : ''}`,
              onClick: () => act(() => openSubject(kind, subject.id), { refresh: false }),
            }),
          ]);
        }),
      );
      el.auditNoResults.hidden = subjects.length > 0;
      applyBusy();
    }

    el.auditSearchForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const query = el.auditQuery.value.trim();
      if (!query) {
        el.auditQuery.setAttribute('aria-invalid', 'true');
        showError('Enter a name (a userName, externalId, group or team name, now or in the past) or an id.');
        el.auditQuery.focus();
        return;
      }
      el.auditQuery.removeAttribute('aria-invalid');
      act(
        async () => {
          const found = list(await api('GET', `/audit/subjects?q=${encodeURIComponent(query)}`));
          renderResults(found);
          return found;
        },
        { refresh: false, success: (found) => `${plural(found.length, 'match', 'matches')} for “${query}”.` },
      );
    });

    function historyRow(entry) {
      const a = attrs(entry);
      const changes = Array.isArray(a.changes) ? a.changes : [];
      const version = a['read-as'] ? ` (written as v${a['schema-version']}, read as v${a['read-as']})` : '';
      const origin = [a['request-id'] ? `request ${a['request-id']}` : '', a['source-ip'] || '', a['user-agent'] || ''].filter(Boolean).join(' · ');
      return h('tr', { 'data-testid': 'audit-history-row', 'data-event-type': a['event-type'], 'data-position': a.position }, [
        cell('When', {}, [timeElement(a['occurred-at'], { seconds: true }), h('span', { class: 'synced', text: `position ${a.position}` })]),
        cell('Who', {}, [h('span', { text: a['actor-label'] || actorLabel(a) }), origin ? h('span', { class: 'synced', text: origin }) : null]),
        cell('What changed', {}, [
          h('code', { text: `${a['event-type'] || 'unknown'}${version}` }),
          changes.length
            ? h('ul', { class: 'changes', 'data-testid': 'audit-changes' }, changes.map((change) => h('li', { text: changeText(change) })))
            : h('span', { class: 'summary', text: 'nothing the resource shows' }),
        ]),
      ]);
    }

    async function openSubject(kind, id) {
      const doc = await api('GET', auditPath(kind, id, 'history'));
      const subject = (doc && doc.meta && doc.meta.subject) || { kind: KIND_NOUN[kind], id, name: id, names: [] };
      state.auditSubject = { kind, id, name: subject.name };
      el.auditSubjectHeading.textContent = `History of ${subject.kind} ${subject.name}`;
      const others = (subject.names || []).filter((name) => name !== subject.name);
      el.auditSubjectNames.textContent = `${subject.kind === 'team' ? 'Team id' : 'SCIM id'} ${subject.id}${others.length ? `; also known as ${others.join(', ')}` : ''}.`;
      el.auditHistoryRows.replaceChildren(...list(doc).map(historyRow));
      el.auditState.replaceChildren();
      // Now, rounded up to the second the field shows: the state includes every change so far.
      el.auditAt.value = localDateTimeValue(new Date(Math.ceil(Date.now() / 1000) * 1000));
      el.auditSubject.hidden = false;
      applyBusy();
      el.auditSubjectHeading.focus();
    }

    function renderTeamState(a) {
      const members = Array.isArray(a.members) ? a.members : [];
      const link = a['scim-group-id']
        ? `Linked to the SCIM group ${a['scim-group-display-name'] || a['scim-group-id']}${a['link-paused'] ? ' (link paused: members frozen)' : ''}.`
        : 'Not linked to a SCIM group.';
      return [
        h('p', { text: `${a.name} at ${formatDateTime(a.at, { seconds: true }) || a.at}: ${link}` }),
        members.length
          ? h(
              'ul',
              { class: 'members', 'data-testid': 'audit-state-members', 'aria-label': `Members of ${a.name} then` },
              members.map((member) => h('li', { 'data-testid': 'audit-state-member' }, [member.username, member.kind === 'service-account' ? h('span', { class: 'tag', text: 'service account' }) : null])),
            )
          : h('p', { class: 'muted', 'data-testid': 'audit-state-members', text: 'No members then.' }),
      ];
    }

    el.auditAsOfForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const subject = state.auditSubject;
      const at = localDateTimeToIso(el.auditAt.value);
      if (!subject || !at) {
        el.auditAt.setAttribute('aria-invalid', 'true');
        showError('Enter a date and time.');
        el.auditAt.focus();
        return;
      }
      el.auditAt.removeAttribute('aria-invalid');
      act(
        async () => {
          el.auditState.replaceChildren();
          const doc = await api('GET', `${auditPath(subject.kind, subject.id, 'as-of')}?at=${encodeURIComponent(at)}`);
          const a = attrs(doc && doc.data);
          el.auditState.replaceChildren(
            ...(subject.kind === 'teams'
              ? renderTeamState(a)
              : [
                  h('p', { text: `As GET /scim/v2/${subject.kind === 'users' ? 'Users' : 'Groups'}/${subject.id} answered at ${formatDateTime(a.at, { seconds: true }) || a.at}:` }),
                  h('pre', { class: 'resource', 'data-testid': 'audit-state-resource', text: JSON.stringify(a.resource, null, 2) }),
                ]),
          );
        },
        { refresh: false, success: `The state of ${state.auditSubject ? state.auditSubject.name : 'the resource'} at that time is shown.` },
      );
    });

    // --- signing in and out ------------------------------------------------------------------------

    function enterConsole() {
      el.signIn.hidden = true;
      el.console.hidden = false;
      el.signOut.hidden = false;
      el.tenantUrl.textContent = `${window.location.origin}/scim/v2`;
      window.clearInterval(state.activityTimer);
      state.activityTimer = window.setInterval(pollActivity, ACTIVITY_INTERVAL_MS);
      return act(refreshAll, { refresh: false });
    }

    function signOut(message) {
      forgetToken();
      window.clearInterval(state.activityTimer);
      state.activityTimer = undefined;
      state.settings = undefined;
      state.groups = [];
      state.activityKey = '';
      // Nothing read with the token stays on the page.
      for (const rows of [el.tokenRows, el.teamRows, el.activityRows, el.auditResults, el.auditHistoryRows, el.auditState]) rows.replaceChildren();
      state.auditSubject = null;
      el.auditSubject.hidden = true;
      el.auditNoResults.hidden = true;
      el.auditQuery.value = '';
      el.siteAdminSelect.replaceChildren();
      el.expiredTokens.textContent = '';
      el.expiredTokens.hidden = true;
      el.activityUpdated.textContent = '';
      if (el.tokenDialog.open) el.tokenDialog.close();
      if (el.confirmDialog.open) el.confirmDialog.close();
      el.console.hidden = true;
      el.signOut.hidden = true;
      el.signIn.hidden = false;
      if (message) showError(message);
      else showStatus('Signed out. The administrator token is forgotten.');
      el.adminToken.focus();
    }

    el.signInForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const token = el.adminToken.value.trim();
      el.adminToken.value = '';
      if (!token) {
        showError('Paste an administrator token to sign in.');
        el.adminToken.focus();
        return;
      }
      storeToken(token);
      await enterConsole();
      if (!el.console.hidden) {
        if (!el.error.textContent) showStatus('Signed in.');
        el.stateHeading.focus();
      }
    });

    el.signOut.addEventListener('click', () => signOut());

    if (readToken()) enterConsole();
    else el.adminToken.focus();
  }
})();
