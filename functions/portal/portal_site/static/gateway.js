/* The payment gateway's own fields (Stripe.js) on the portal's pages that load it (their CSP lets
   the gateway's script run; no other page does):
   - form[data-hosted-card]: the gateway's card fields; on submit a SetupIntent is asked of the
     portal (a POST with the form's CSRF token, answered as JSON), confirmed by Stripe.js, and the
     form posts only the SetupIntent's ID. The card number goes to the gateway, never to the portal.
   - form[data-authenticate]: a payment the bank wants confirmed (3-D Secure); its client secret is
     asked of the portal the same way, the gateway's flow runs, and the form posts to the portal,
     which asks the gateway how it ended.
   A client secret lives in this script's memory only: never in a URL, the page or a log. */
(function () {
  "use strict";

  var gateways = {};

  function gateway(publishableKey) {
    if (!gateways[publishableKey]) {
      gateways[publishableKey] = window.Stripe(publishableKey);
    }
    return gateways[publishableKey];
  }

  // A POST carrying the form's CSRF token; its JSON answer, or a rejection.
  function postForJson(url, form) {
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new URLSearchParams({ csrf: form.elements.csrf.value }),
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("the portal answered " + response.status);
      }
      return response.json();
    });
  }

  // The page's message in its language, then the gateway's own words when it gave some.
  function say(box, message, detail) {
    box.textContent = detail ? message + " " + detail : message;
    box.hidden = false;
    box.focus();
  }

  function errorBox(form) {
    return document.getElementById(form.dataset.errorBox);
  }

  function mountCard(form) {
    var stripe = gateway(form.dataset.publishableKey);
    // Stripe.js words its own messages in the page's language.
    var card = stripe.elements({ locale: document.documentElement.lang || "auto" }).create("card");
    var box = errorBox(form);
    var button = form.querySelector("button[type=submit]");
    card.mount(form.querySelector("[data-card-fields]"));
    card.on("change", function (event) {
      if (event && event.error) {
        say(box, event.error.message);
      } else if (event) {
        box.hidden = true;
      }
    });
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      box.hidden = true;
      button.disabled = true;
      postForJson(form.dataset.setupUrl, form).then(
        function (setup) {
          return stripe.confirmCardSetup(setup.clientSecret, { payment_method: { card: card } }).then(function (result) {
            if (result.error || !result.setupIntent) {
              say(box, form.dataset.error, result.error && result.error.message);
              button.disabled = false;
              return;
            }
            form.elements.setup_intent.value = result.setupIntent.id;
            form.submit();
          });
        },
        function () {
          say(box, form.dataset.busy);
          button.disabled = false;
        }
      );
    });
  }

  var DONE = ["succeeded", "processing", "requires_capture"];

  function authenticatePayment(form) {
    var stripe = gateway(form.dataset.publishableKey);
    var box = errorBox(form);
    var button = form.querySelector("button[type=submit]");
    var answered = false;
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (answered) {
        window.location.reload(); // the invoice as the portal now knows it
        return;
      }
      box.hidden = true;
      button.disabled = true;
      postForJson(form.dataset.secretUrl, form).then(
        function (payment) {
          return stripe.confirmCardPayment(payment.clientSecret).then(function (result) {
            var intent = result.paymentIntent;
            if (!result.error && intent && DONE.indexOf(intent.status) >= 0) {
              form.submit();
              return;
            }
            var failure = result.error || (intent && intent.last_payment_error) || {};
            say(box, form.dataset.error, failure.message);
            // The portal records how it ended (the invoice open again, with why) before a new try.
            return window.fetch(form.action, {
              method: "POST",
              credentials: "same-origin",
              redirect: "manual",
              body: new URLSearchParams(new FormData(form)),
            }).then(
              function () {
                answered = true;
                button.textContent = form.dataset.retry;
                button.disabled = false;
              },
              function () {
                button.disabled = false;
              }
            );
          });
        },
        function () {
          say(box, form.dataset.busy);
          button.disabled = false;
        }
      );
    });
  }

  document.querySelectorAll("form[data-hosted-card]").forEach(mountCard);
  document.querySelectorAll("form[data-authenticate]").forEach(authenticatePayment);
})();
