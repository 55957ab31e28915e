// Loaded first, in <head>: marks that scripts run, so the collapsed phone menu (which needs Bootstrap's
// script to open) is shown open to visitors whose browser runs no JavaScript.
document.documentElement.classList.remove("no-js");
