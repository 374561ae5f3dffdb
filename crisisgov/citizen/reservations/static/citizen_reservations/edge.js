// Reserving through the surge edge (docs/edge.md). The form still works without this script
// (it posts to Django); with it, the reservation goes to the edge as JSON with the form's
// idempotency key, and a busy edge (429/503) is waited out and retried with the same key, so a
// citizen keeps their place instead of seeing an error page or reserving twice.
(function () {
  "use strict";
  const config = document.getElementById("edge-config");
  if (!config || !config.dataset.edgeUrl || !window.fetch) return;
  const edgeUrl = config.dataset.edgeUrl.replace(/\/?$/, "/");
  const result = document.getElementById("edge-result");
  const MAX_TRIES = 8;
  const refusals = JSON.parse(document.getElementById("edge-refusals").textContent);
  let passFetchedAt = 0;

  function show(text, code, isError) {
    result.className = "flash" + (isError ? " error" : "");
    result.setAttribute("role", isError ? "alert" : "status");
    result.replaceChildren();
    const p = document.createElement("p");
    p.textContent = text;
    result.append(p);
    if (code) {
      const c = document.createElement("p");
      c.className = "code";
      c.id = "edge-code";
      c.textContent = code;
      result.append(c);
    }
  }

  async function refreshPass(force) {
    // The pass lives 15 minutes; ask Django for a fresh one every 10 (or after a 401).
    if (!force && Date.now() - passFetchedAt < 600000) return true;
    const answer = await fetch(config.dataset.passUrl, { credentials: "same-origin", cache: "no-store" });
    if (answer.ok) passFetchedAt = Date.now();
    return answer.ok;
  }

  const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

  async function reserve(form) {
    const data = new FormData(form);
    const body = JSON.stringify({
      item: data.get("item"),
      pharmacy_id: Number(data.get("pharmacy_id")),
      day: data.get("day"),
      id_number: String(data.get("id_number") || "").trim(),
      quantity: Number(data.get("quantity")),
      idempotency_key: data.get("idempotency_key"),
    });
    let passRetried = false;
    for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
      if (!(await refreshPass(false))) return form.submit(); // signed out: Django handles it
      let answer;
      try {
        answer = await fetch(edgeUrl + "reserve", {
          method: "POST",
          credentials: "include",
          headers: { "Content-Type": "application/json" },
          body: body,
        });
      } catch (networkError) {
        show(config.dataset.unavailable, "", true);
        await sleep(Math.min(2 ** attempt, 10));
        continue;
      }
      if (answer.status === 401 && !passRetried) {
        passRetried = true;
        await refreshPass(true);
        continue;
      }
      if (answer.status === 429 || answer.status === 503) {
        const wait = Number(answer.headers.get("Retry-After")) || 2;
        show(answer.status === 429 ? config.dataset.busy.replace("%s", wait) : config.dataset.unavailable, "", false);
        await sleep(wait);
        continue;
      }
      const json = await answer.json().catch(() => ({}));
      if (answer.ok) return reserved(form, json);
      const detail = (json.detail && json.detail[0]) || {};
      show(refusals[detail.code] || detail.message || answer.statusText, "", true);
      result.dataset.field = detail.field || "";
      return;
    }
    form.submit(); // the edge stayed busy: let Django decide (same idempotency key)
  }

  function reserved(form, json) {
    show(json.replayed ? config.dataset.duplicate : config.dataset.reserved, json.code, false);
    const item = form.closest("li");
    const rows = document.querySelector("#mine tbody");
    if (rows && !json.replayed) {
      const row = rows.insertRow(0);
      const code = row.insertCell();
      code.className = "code";
      code.textContent = json.code;
      row.insertCell().textContent = item ? item.querySelector("strong").textContent : "";
      row.insertCell().textContent = "✓";
      const none = rows.querySelector("td[colspan]");
      if (none) none.parentElement.remove();
    }
    form.querySelector('[name="id_number"]').value = "";
    // A new reservation needs a new key; the old one answers "already reserved".
    form.querySelector('[name="idempotency_key"]').value =
      (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).replace(/-/g, "");
  }

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form.reserve-form");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    show(config.dataset.working, "", false);
    reserve(form).finally(() => { button.disabled = false; });
  });
})();
