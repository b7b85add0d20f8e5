// Starts Swagger UI (from the flask-swagger-ui package, served by this server) on this
// server's /openapi.json. A file of its own because the page's Content-Security-Policy allows
// no inline script. Nothing is loaded from elsewhere: no validator badge, no remote config.
"use strict";

(function () {
  // This file is <root>static/docs/docs.js: the document is two levels up, at <root>openapi.json,
  // wherever the API is mounted and whether the page was opened as /docs or /docs/.
  const here = document.currentScript.src;
  window.ui = SwaggerUIBundle({
    url: new URL("../../openapi.json", here).href,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null, // the default sends the document to a public validator
    queryConfigEnabled: false, // no ?url= or ?configUrl= from the address bar
    persistAuthorization: false, // keys stay in this page's memory, never in storage
    displayRequestDuration: true,
    tryItOutEnabled: false,
  });
})();
