/* pileon's API docs (/docs): Swagger UI served by the API itself, so no CDN is needed.
 * A file, not an inline script: the page's Content-Security-Policy allows none. */
"use strict";

window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", window.location.href).href,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,  // the public validator is on the internet
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
