// The Evaluation section: a row's play button plays its clip in the section's one <audio>
// (#evaluation-player); pressing it again pauses. Rows come and go with htmx (filters, pages),
// so everything listens on the document.
(function () {
  "use strict";

  function player() {
    return document.getElementById("evaluation-player");
  }

  function clipUrl(button) {
    return new URL(button.dataset.clip, document.baseURI).href;
  }

  // The button of the clip that is loaded shows pause while it plays.
  function markPlaying() {
    const audio = player();
    document.querySelectorAll("[data-clip]").forEach((button) => {
      const playing = !!audio && !audio.paused && audio.currentSrc === clipUrl(button);
      button.setAttribute("aria-pressed", playing ? "true" : "false");
      button.classList.toggle("playing", playing);
      button.closest("tr")?.classList.toggle("playing", playing);
    });
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-clip]");
    const audio = player();
    if (!button || !audio) return;
    const url = clipUrl(button);
    if (audio.currentSrc === url && !audio.paused) {
      audio.pause();
      return;
    }
    if (audio.currentSrc !== url) audio.src = url;
    audio.hidden = false;
    const started = audio.play();
    if (started) started.catch(() => markPlaying()); // refused or interrupted by the next click
  });

  // Media events do not bubble: listen in the capture phase.
  ["play", "pause", "ended", "emptied"].forEach((type) => {
    document.addEventListener(type, (e) => {
      if (e.target && e.target.id === "evaluation-player") markPlaying();
    }, true);
  });
  document.addEventListener("htmx:afterSettle", markPlaying);
})();
