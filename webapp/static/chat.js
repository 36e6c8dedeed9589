/* Mounts the rasa-webchat widget in #chat and makes it keyboard- and screen-reader-friendly.
 * Every setting and every visible word comes from the data-* attributes of #chat
 * (webapp/templates/index.html). */
(function () {
  "use strict";

  var STORAGE_KEY = "chat_session"; // where rasa-webchat keeps the session id and history
  var WEBCHAT_VERSION = "1.0.1"; // the widget drops a stored session of another version
  // A session id the server signed (pause/sessions.py); socket.io refuses any other.
  var SIGNED_SESSION = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;
  var root = document.getElementById("chat");
  if (!root) {
    return;
  }
  var settings = root.dataset;

  // Quick replies are <div>s with a click handler: give them a role, a tab stop and keys.
  function enhanceReplies(scope) {
    var replies = scope.querySelectorAll(".rw-reply:not([data-enhanced])");
    Array.prototype.forEach.call(replies, function (reply) {
      reply.setAttribute("data-enhanced", "");
      if (reply.tagName !== "A") {
        reply.setAttribute("role", "button");
        reply.tabIndex = 0;
        reply.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            reply.click();
          }
        });
      }
    });
  }

  // Download links of this site save the file here instead of opening an empty tab.
  function enhanceLinks(scope) {
    var anchors = scope.querySelectorAll(".rw-message a[href]:not([data-enhanced])");
    Array.prototype.forEach.call(anchors, function (anchor) {
      anchor.setAttribute("data-enhanced", "");
      var url = new URL(anchor.href, window.location.href);
      if (url.origin === window.location.origin && url.pathname.indexOf("/export/") === 0) {
        anchor.setAttribute("download", "");
        anchor.removeAttribute("target");
      }
    });
  }

  function enhanceLog(scope) {
    var log = scope.querySelector(".rw-messages-container");
    if (log && !log.hasAttribute("role")) {
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
      log.setAttribute("aria-label", settings.title || "");
    }
  }

  function enhance() {
    enhanceReplies(root);
    enhanceLinks(root);
    enhanceLog(root);
  }

  new MutationObserver(enhance).observe(root, { childList: true, subtree: true });

  var forget = document.getElementById("forget-device");
  if (forget) {
    forget.addEventListener("click", function () {
      if (window.confirm(settings.confirmForget)) {
        window.localStorage.removeItem(STORAGE_KEY);
        window.location.reload();
      }
    });
  }

  // Keep the chat this browser has (reload keeps the history); otherwise, or when its
  // session id is not a signed one, start with the page's offer: the server answers it
  // with a new signed session id, which the widget adopts and greets with.
  function seedSession() {
    var stored = null;
    try {
      stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
    } catch (error) {
      stored = null;
    }
    if (stored && typeof stored.session_id === "string" && SIGNED_SESSION.test(stored.session_id)) {
      return;
    }
    if (settings.sessionOffer) {
      window.localStorage.setItem(
        STORAGE_KEY,
        JSON.stringify({ session_id: settings.sessionOffer, version: WEBCHAT_VERSION })
      );
    }
  }

  if (!window.WebChat || typeof window.WebChat.default !== "function") {
    root.classList.add("chat-missing");
    return;
  }

  seedSession();
  window.WebChat.default(
    {
      socketUrl: settings.socketUrl,
      socketPath: settings.socketPath,
      initPayload: settings.initPayload,
      title: settings.title,
      subtitle: settings.subtitle,
      inputTextFieldHint: settings.inputHint,
      connectingText: settings.connectingText,
      // Sent with every message (credentials.yml: metadata_key). The browser's time zone
      // places a check-in's time and its quiet hours in the person's own day.
      customData: {
        language: document.documentElement.lang,
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "",
      },
      params: { storage: "local" },
      embedded: true,
      withRules: false,
      showCloseButton: false,
      showFullScreenButton: false,
      hideWhenNotConnected: false,
      customMessageDelay: function () {
        return 250;
      },
    },
    root
  );
})();
