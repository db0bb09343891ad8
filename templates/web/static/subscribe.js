// Pre-select the browser's own time zone on the sign-up form, when the server offers it.
(function () {
  var select = document.getElementById("timezone");
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!select || !zone) { return; }
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone || select.options[i].text === zone) {
      select.selectedIndex = i;
      return;
    }
  }
})();
