// Episode pages: a chapter or transcript entry (anything with data-start) seeks the player.
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-start]");
  if (!target) { return; }
  event.preventDefault();
  var player = document.getElementById("player");
  player.currentTime = parseFloat(target.getAttribute("data-start"));
  var playing = player.play();
  if (playing) { playing.catch(function () {}); }
});
