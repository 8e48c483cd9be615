// Knowledge-base panel on the operator console. "编辑后答复" copies the article into the
// answer field (ticking 即时办结) so the operator can adapt it before submitting; the
// server then records the article with the edited text. "按此答复并办结" submits as is.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var hidden = document.getElementById("kb-article");
    if (!hidden || !e.target.closest) return;
    var edit = e.target.closest(".kb-edit");
    if (edit) {
      var id = edit.getAttribute("data-article");
      var body = document.getElementById("kb-body-" + id);
      var answer = document.getElementById("id_answer");
      var now = document.getElementById("id_answer_now");
      hidden.value = id;
      if (answer && body) { answer.value = body.innerText.trim(); answer.focus(); }
      if (now) { now.checked = true; }
      return;
    }
    if (e.target.closest(".kb-answer")) { hidden.value = ""; }
  });
})();
