// The panel's small behaviours: toasts, dialogs and button states. State lives on the server;
// this file only opens and closes things and reacts to htmx's HX-Trigger events.
(function () {
  "use strict";

  const TOAST_MS = 5000;

  function showToast(message, level) {
    const box = document.getElementById("toasts");
    if (!box || !message) return;
    const toast = document.createElement("div");
    toast.className = "toast toast-" + (level === "error" ? "error" : "success");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.textContent = message;
    box.appendChild(toast);
    dismissLater(toast);
  }

  function dismissLater(toast) {
    toast.addEventListener("click", () => toast.remove());
    setTimeout(() => toast.remove(), TOAST_MS);
  }

  window.panelToast = showToast;

  // Buttons stay disabled until their form's required fields are filled (no length rule: the server has it).
  function syncRequiredForms(root) {
    root.querySelectorAll("form[data-require-filled]").forEach((form) => {
      const filled = Array.from(form.querySelectorAll("[required]")).every((f) => f.value.trim() !== "");
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = !filled; });
    });
  }

  // A button enabled only once an input differs from its saved value and is not blank
  // (blank is a change like any other where the button says data-allow-blank: an empty list).
  function syncChangedButtons() {
    document.querySelectorAll("[data-enable-when-changed]").forEach((button) => {
      const input = document.querySelector(button.dataset.enableWhenChanged);
      const value = input ? input.value.trim() : "";
      const blankRefused = value === "" && !("allowBlank" in button.dataset);
      button.disabled = !input || blankRefused || value === input.dataset.initial;
    });
  }

  // Vocabulary: the phrase box's count ("12 of 1,000 phrases") follows its non-blank lines.
  function syncPhraseCounts() {
    document.querySelectorAll("[data-phrase-count]").forEach((label) => {
      const box = document.querySelector(label.dataset.phraseCount);
      if (!box) return;
      const count = box.value.split("\n").filter((line) => line.trim() !== "").length;
      const max = Number(label.dataset.max);
      label.textContent = count.toLocaleString("en-US") + " of " + max.toLocaleString("en-US") + " phrases";
    });
  }

  // Vocabulary: a display rules table's Save is enabled once its rules differ from the stored ones
  // (data-initial, JSON pairs). Rows blank on both sides are no rules, as the server reads them.
  function tableRules(form) {
    const words = (input) => (input ? input.value.trim().replace(/\s+/g, " ") : "");
    return Array.from(form.querySelectorAll("[data-rule-row]"))
      .map((row) => [words(row.querySelector("[name=written]")), words(row.querySelector("[name=display]"))])
      .filter(([written, display]) => written !== "" || display !== "");
  }

  function syncRuleForms() {
    document.querySelectorAll("form[data-rules-form]").forEach((form) => {
      const save = form.querySelector("[data-save-rules]");
      if (save) save.disabled = JSON.stringify(tableRules(form)) === form.dataset.initial;
    });
  }

  function addRuleRow(form) {
    const template = form.querySelector("template[data-rule-template]");
    const rows = form.querySelector("[data-rule-rows]");
    if (!template || !rows) return;
    rows.appendChild(template.content.cloneNode(true));
    const inputs = rows.querySelectorAll("[data-rule-row]:last-child input");
    if (inputs.length) inputs[0].focus();
  }

  // What only works with this script (Add row, Remove row) is hidden in the HTML and shown here.
  function showScripted(root) {
    root.querySelectorAll?.("[data-needs-script][hidden]").forEach((el) => { el.hidden = false; });
  }

  function sync() {
    syncRequiredForms(document);
    syncChangedButtons();
    syncPhraseCounts();
    syncRuleForms();
  }

  function openDialog(id, opener) {
    const dialog = document.getElementById(id);
    if (!dialog) return;
    // One confirmation serves every row: the row's button names the URL to post to and what it acts on.
    const url = opener && (opener.dataset.actionUrl || opener.dataset.deleteUrl);
    if (url) {
      const form = dialog.querySelector("form");
      form.setAttribute("action", url);
      form.setAttribute("hx-post", url);
      if (window.htmx) window.htmx.process(form);
      const name = opener.dataset.actionName || opener.dataset.deleteName || "";
      dialog.querySelectorAll("[data-action-name], [data-delete-name]").forEach((el) => { el.textContent = name; });
    }
    if (!dialog.open) dialog.showModal();
    const first = dialog.querySelector("input, select");
    if (first) first.focus();
  }

  document.addEventListener("click", (event) => {
    const adder = event.target.closest("[data-add-rule]");
    if (adder) {
      addRuleRow(adder.closest("form"));
      sync();
      return;
    }
    const remover = event.target.closest("[data-remove-rule]");
    if (remover) {
      const form = remover.closest("form");
      const row = remover.closest("[data-rule-row]");
      // Focus stays in the table: on the next row's first field, or on Add row.
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      const focus = next ? next.querySelector("input") : form.querySelector("[data-add-rule]");
      if (focus) focus.focus();
      sync();
      return;
    }
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      openDialog(opener.dataset.openDialog, opener);
      return;
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });

  document.addEventListener("input", sync);
  document.addEventListener("change", sync);

  document.addEventListener("DOMContentLoaded", () => {
    showScripted(document);
    sync();
    document.querySelectorAll("#toasts .toast").forEach(dismissLater);
    // A guide that opens by itself once per browser, then only on request.
    document.querySelectorAll("dialog[data-auto-open-once]").forEach((dialog) => {
      const key = dialog.dataset.autoOpenOnce;
      try {
        if (localStorage.getItem(key)) return;
        localStorage.setItem(key, "1");
      } catch (e) {
        return; // storage blocked: never nag on every visit
      }
      dialog.showModal();
    });
  });

  // A progress bar's width comes from its data-progress: the Content-Security-Policy allows no
  // style attribute in the HTML, but a style set from a script file is fine.
  function showProgress(root) {
    root.querySelectorAll?.("[data-progress]").forEach((bar) => {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0)) + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", () => showProgress(document));
  document.body.addEventListener("htmx:load", (e) => {
    showProgress(e.target);
    showScripted(e.target);
  });

  // Polls wait while the tab is hidden; `visibilitychange` triggers refresh once it is visible again.
  // (htmx's trigger filters, `every 20s [document.visibilityState === 'visible']`, would need eval.)
  document.body.addEventListener("htmx:confirm", (e) => {
    if (document.visibilityState === "hidden" && e.detail.verb === "get") e.preventDefault();
  });

  document.body.addEventListener("htmx:afterSettle", sync);
  // While a request runs, its submit button can't be pressed twice.
  document.body.addEventListener("htmx:beforeRequest", (e) => {
    e.target.querySelectorAll?.("button[type=submit]").forEach((b) => { b.disabled = true; });
  });
  document.body.addEventListener("htmx:afterRequest", (e) => {
    e.target.querySelectorAll?.("button[type=submit]").forEach((b) => { b.disabled = false; });
    sync();
  });
  document.body.addEventListener("htmx:responseError", (e) => {
    // Background polling stays quiet; an action the user took says that it failed.
    if (e.detail.requestConfig.verb === "get" || e.detail.xhr.getResponseHeader("HX-Trigger")) return;
    showToast("Something went wrong. Please try again.", "error");
  });
  document.body.addEventListener("toast", (e) => showToast(e.detail.message, e.detail.level));
  // A create or delete finished: the dialog it came from has done its job.
  function closeDialogs() {
    document.querySelectorAll("dialog[open]").forEach((d) => d.close());
  }
  document.body.addEventListener("customModelsChanged", closeDialogs);
  document.body.addEventListener("closeDialogs", closeDialogs);
  // The server answered with another question (e.g. "Train anyway?"): it replaces the open dialog.
  document.body.addEventListener("openDialog", (e) => {
    closeDialogs();
    openDialog(e.detail.id);
  });
  // A download link the server has just signed: leaving for it downloads, the page stays.
  document.body.addEventListener("download", (e) => window.location.assign(e.detail.url));
})();
