// Filters the findings table by severity, framework and status. Plain JavaScript inside the
// file (the Content-Security-Policy allows only this script, by its hash); without scripts,
// and on paper, every finding is shown and the filter form stays hidden.
(function () {
  "use strict";
  var form = document.getElementById("finding-filters");
  var table = document.getElementById("finding-table");
  if (!form || !table) {
    return;
  }
  var selects = form.querySelectorAll("select[data-filter]");
  var rows = table.tBodies[0].rows;
  var count = document.getElementById("finding-count");
  function matches(row) {
    for (var i = 0; i < selects.length; i++) {
      var wanted = selects[i].value;
      var values = (row.getAttribute("data-" + selects[i].getAttribute("data-filter")) || "")
        .split(" ");
      if (wanted && values.indexOf(wanted) < 0) {
        return false;
      }
    }
    return true;
  }
  function apply() {
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = !matches(rows[i]);
      shown += rows[i].hidden ? 0 : 1;
    }
    count.textContent = shown + " of " + rows.length + " findings shown";
  }
  for (var i = 0; i < selects.length; i++) {
    selects[i].addEventListener("change", apply);
  }
  form.hidden = false;
  apply();
})();
