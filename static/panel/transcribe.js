// The dashboard's behaviours: the Upload menu, upload dialogs, and the result page's
// click-a-word-to-play. State lives on the server; panel.js has toasts and dialogs.
(function () {
  "use strict";

  // The Upload menu is a <details>: close it when an item is chosen or on a click elsewhere.
  document.addEventListener("click", (event) => {
    document.querySelectorAll("details.menu[open]").forEach((menu) => {
      if (!menu.contains(event.target) || event.target.closest(".menu-item")) menu.removeAttribute("open");
    });
  });

  document.addEventListener("DOMContentLoaded", () => {
    // `/?upload=force-alignment` renders its dialog's form and asks for the dialog to open.
    document.querySelectorAll("dialog[data-open-on-load]").forEach((dialog) => {
      if (!dialog.open) dialog.showModal();
    });
  });

  // A job was accepted: the dialog it came from has done its job.
  document.body.addEventListener("jobsChanged", () => {
    document.querySelectorAll("dialog[open]").forEach((d) => d.close());
  });

  // Upload progress on the dialog's form while htmx sends the file.
  document.body.addEventListener("htmx:xhr:progress", (e) => {
    const form = e.target.closest && e.target.closest("form[data-upload-progress]");
    const bar = form && form.querySelector(".upload-progress");
    if (!bar || !e.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((e.detail.loaded / e.detail.total) * 100);
  });

  // Result page: a word seeks the player to its start and plays; the word being spoken is marked.
  document.addEventListener("click", (event) => {
    const word = event.target.closest(".transcript .word");
    if (!word) return;
    const player = document.getElementById(word.closest("[data-player]").dataset.player);
    if (!player) return;
    player.currentTime = parseFloat(word.dataset.start);
    const playing = player.play();
    if (playing) playing.catch(() => {}); // autoplay refused: the seek still happened
  });

  function markCurrentWord(player) {
    const transcript = document.querySelector(`[data-player="${player.id}"]`);
    if (!transcript) return;
    const now = player.currentTime;
    transcript.querySelectorAll(".word.current").forEach((w) => w.classList.remove("current"));
    for (const word of transcript.querySelectorAll(".word")) {
      if (now >= parseFloat(word.dataset.start) && now < parseFloat(word.dataset.end)) {
        word.classList.add("current");
        break;
      }
    }
  }

  // timeupdate does not bubble: listen in the capture phase so a player swapped in by htmx works too.
  document.addEventListener("timeupdate", (e) => {
    if (e.target instanceof HTMLMediaElement) markCurrentWord(e.target);
  }, true);
})();
