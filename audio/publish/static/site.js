// Episode pages and embedded players: the audio player (#player) follows the page.
// - A chapter or transcript entry (anything with data-start, in seconds) or a "#t=" link
//   seeks the player and plays.
// - The page's address "#t=83", "#t=1:23" or "#t=1:02:03" seeks on opening and whenever
//   it changes.
// - The transcript's sentence being spoken (the [data-start] elements inside .transcript)
//   gets the class "is-current", and is scrolled into view while the listener reads along:
//   not when they scrolled away recently or are reading elsewhere on the page.
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) { return; }
  var FOLLOW_PAUSE_MS = 8000; // no following for this long after the listener scrolls
  var CURRENT = "is-current";

  // A media fragment's start time ("t=83.5", "t=1:23", "t=1:02:03", "t=npt:1:23,1:40")
  // in seconds, or null when the hash holds none.
  function hashTime(hash) {
    var params = hash.replace(/^#/, "").split("&");
    for (var i = 0; i < params.length; i++) {
      var found = /^t=(?:npt:)?((?:\d+:){0,2}\d+(?:\.\d+)?)(?:,.*)?$/.exec(params[i]);
      if (found) {
        return found[1].split(":").reduce(function (total, part) { return total * 60 + parseFloat(part); }, 0);
      }
    }
    return null;
  }

  function seek(seconds, play) {
    var go = function () {
      player.currentTime = seconds;
      if (play) {
        var playing = player.play();
        if (playing) { playing.catch(function () {}); }
      }
    };
    if (player.readyState >= 1) { go(); } else { player.addEventListener("loadedmetadata", go, { once: true }); }
  }

  // --- the transcript's current sentence ------------------------------------------------
  var transcript = document.querySelector(".transcript");
  var sentences = transcript ? Array.prototype.filter.call(
    transcript.querySelectorAll("[data-start]"), function (el) { return el.tagName !== "A"; }) : [];
  var starts = sentences.map(function (el) { return parseFloat(el.getAttribute("data-start")); });
  var current = null;
  var userScrolled = 0; // when the listener last scrolled the page themselves
  var followNext = false; // a deep link asked for its sentence: show it

  // The last sentence started at ``time`` (sentences are in time order).
  function sentenceAt(time) {
    var low = 0, high = starts.length - 1, found = -1;
    while (low <= high) {
      var mid = (low + high) >> 1;
      if (starts[mid] <= time + 0.01) { found = mid; low = mid + 1; } else { high = mid - 1; }
    }
    return found < 0 ? null : sentences[found];
  }

  // The part of the window the sticky player leaves free.
  function freeBand() {
    var bar = player.closest(".player-bar");
    var top = bar ? Math.max(0, bar.getBoundingClientRect().bottom) : 0;
    return { top: top, bottom: window.innerHeight };
  }

  function inView(el, margin) {
    var rect = el.getBoundingClientRect(), band = freeBand();
    return rect.top >= band.top + margin && rect.bottom <= band.bottom - margin;
  }

  function reveal(el) {
    var smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    el.scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
  }

  function update(event) {
    var seeked = event.type === "seeked";
    var next = sentenceAt(player.currentTime);
    var changed = next !== current;
    var wasInView = current !== null && inView(current, 0);
    if (changed) {
      if (current) { current.classList.remove(CURRENT); }
      if (next) { next.classList.add(CURRENT); }
      current = next;
    }
    var follow = (seeked && followNext) ||
      (changed && wasInView && !player.paused && Date.now() - userScrolled > FOLLOW_PAUSE_MS);
    if (seeked) { followNext = false; }
    if (current && follow && !inView(current, 40)) { reveal(current); }
  }

  if (sentences.length) {
    ["timeupdate", "seeked", "loadedmetadata"].forEach(function (name) { player.addEventListener(name, update); });
    var scrolled = function () { userScrolled = Date.now(); };
    window.addEventListener("wheel", scrolled, { passive: true });
    window.addEventListener("touchmove", scrolled, { passive: true });
    window.addEventListener("keydown", function (event) {
      if (/^(Arrow(Up|Down)|Page(Up|Down)|Home|End| )$/.test(event.key) && event.target === document.body) { scrolled(); }
    });
    window.addEventListener("mousedown", function (event) { // on the page's scroll bar
      if (event.clientX >= document.documentElement.clientWidth) { scrolled(); }
    });
  }

  // --- seeking ---------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
    var target = event.target.closest("[data-start], a[href^='#t=']");
    if (!target) { return; }
    var seconds = target.hasAttribute("data-start") ? parseFloat(target.getAttribute("data-start"))
      : hashTime(target.getAttribute("href"));
    if (seconds === null || isNaN(seconds)) { return; }
    event.preventDefault();
    var href = target.getAttribute("href");
    if (href && href.charAt(0) === "#" && href !== window.location.hash) {
      history.pushState(null, "", href); // the address says where the listener is
    }
    userScrolled = 0;
    seek(seconds, true);
  });

  function seekToHash() {
    var seconds = hashTime(window.location.hash);
    if (seconds !== null) {
      followNext = true;
      seek(seconds, false);
    }
  }
  window.addEventListener("hashchange", seekToHash);
  seekToHash();
}());
