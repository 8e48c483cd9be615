// The community screen: polls its feed and redraws. On any failure the page keeps what
// it shows (the DOM is only replaced after a good answer) and says it is offline. The
// page itself is never reloaded, so there is nothing to restore from localStorage.
(function () {
  "use strict";
  var body = document.body;
  var feed = body.dataset.feed;
  var poll = Math.max(2, parseInt(body.dataset.poll, 10) || 60) * 1000;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text; // never innerHTML: notices are text
    return e;
  }

  function render(data) {
    document.getElementById("k-community").textContent = data.community;
    document.getElementById("k-updated").textContent = data.updated_at;
    var list = document.getElementById("k-list");
    var items = [];
    data.notices.forEach(function (n) {
      var li = el("li", "k-notice p" + n.priority);
      li.appendChild(el("p", "k-badge", n.priority_label));
      li.appendChild(el("h3", null, n.title));
      li.appendChild(el("p", "k-body", n.body));
      if (n.image) {
        var img = el("img");
        img.src = n.image;
        img.alt = "";
        li.appendChild(img);
      }
      items.push(li);
    });
    if (!items.length) items.push(el("li", "k-empty", list.dataset.empty));
    list.replaceChildren.apply(list, items);
    var f = data.figures;
    document.getElementById("k-volume").textContent = f.volume.n;
    document.getElementById("k-resolution").textContent = f.resolution.percent || "—";
    document.getElementById("k-satisfaction").textContent = f.satisfaction.percent || "—";
  }

  function state(online) {
    var s = document.getElementById("k-state");
    s.textContent = online ? s.dataset.online : s.dataset.offline;
    s.className = online ? "k-online" : "k-offline";
    body.classList.toggle("is-offline", !online);
  }

  function tick() {
    fetch(feed, { cache: "no-store", credentials: "omit" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        render(data);
        state(true);
      })
      .catch(function () {
        state(false);
      })
      .then(function () {
        setTimeout(tick, poll);
      });
  }

  setTimeout(tick, poll);
})();
