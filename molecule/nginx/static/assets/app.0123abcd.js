// A fingerprinted bundle: its name changes with its content, so it may be cached for a year.
document.getElementById("app").textContent = "appstack spa loaded, and this line makes the file long enough to be worth compressing for the gzip check in the nginx scenario";
