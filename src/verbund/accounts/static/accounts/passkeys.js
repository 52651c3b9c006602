// Passkeys (WebAuthn) for the Servicekonto. Progressive enhancement: the blocks stay
// hidden where the browser has no WebAuthn; TOTP remains the way without JavaScript.
(function () {
  "use strict";
  if (!window.PublicKeyCredential) { return; }

  function b64urlToBuf(value) {
    const pad = "=".repeat((4 - (value.length % 4)) % 4);
    const raw = atob((value + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  }
  function bufToB64url(buf) {
    let s = "";
    new Uint8Array(buf).forEach((b) => { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  async function post(url, csrf, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" },
      body: body === undefined ? "{}" : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { throw new Error(data.error || response.statusText); }
    return data;
  }
  function credentialJSON(cred) {
    const r = cred.response;
    const out = { id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type, response: {
      clientDataJSON: bufToB64url(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64url(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = bufToB64url(r.authenticatorData);
      out.response.signature = bufToB64url(r.signature);
      if (r.userHandle) { out.response.userHandle = bufToB64url(r.userHandle); }
    }
    out.clientExtensionResults = cred.getClientExtensionResults();
    return out;
  }

  document.querySelectorAll("[data-passkey-register]").forEach((block) => {
    block.hidden = false;
    const error = block.querySelector("[data-passkey-error]");
    block.querySelector("button").addEventListener("click", async () => {
      error.textContent = "";
      try {
        const options = await post(block.dataset.optionsUrl, block.dataset.csrf);
        options.challenge = b64urlToBuf(options.challenge);
        options.user.id = b64urlToBuf(options.user.id);
        (options.excludeCredentials || []).forEach((c) => { c.id = b64urlToBuf(c.id); });
        const cred = await navigator.credentials.create({ publicKey: options });
        const name = (block.querySelector("input") || {}).value || "";
        const result = await post(block.dataset.registerUrl, block.dataset.csrf,
          { name: name, credential: credentialJSON(cred) });
        window.location.assign(result.redirect);
      } catch (e) { error.textContent = e.message; }
    });
  });

  document.querySelectorAll("[data-passkey-login]").forEach((block) => {
    block.hidden = false;
    const error = block.querySelector("[data-passkey-error]");
    block.querySelector("button").addEventListener("click", async () => {
      error.textContent = "";
      try {
        const options = await post(block.dataset.optionsUrl, block.dataset.csrf);
        options.challenge = b64urlToBuf(options.challenge);
        (options.allowCredentials || []).forEach((c) => { c.id = b64urlToBuf(c.id); });
        const cred = await navigator.credentials.get({ publicKey: options });
        const result = await post(block.dataset.verifyUrl, block.dataset.csrf, credentialJSON(cred));
        window.location.assign(result.redirect);
      } catch (e) { error.textContent = e.message; }
    });
  });
})();
