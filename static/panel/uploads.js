// The New dataset dialog: Uppy's Dashboard inside the dialog, uploading with tus to the
// model's upload endpoint on the session (CSRF header). Loaded only on the details page.
(function () {
  "use strict";

  const MB = 1024 * 1024;
  const RETRY_DELAYS = [0, 3000, 5000, 10000, 20000, 30000, 60000];
  const TYPE_HINTS = {
    auto: "Mixed audio and transcripts: the server tells them apart by extension.",
    audio: "Audio (.wav .mp3 .m4a .flac) or video (.mp4 .mov .mkv .webm .avi, its audio track is kept).",
    transcript: "Transcripts (.vtt .srt .txt) or a .jsonl manifest.",
    text: "Plain UTF-8 .txt files of domain sentences, one a line, with no audio: offline voices speak them at training time.",
  };

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  // The server's error body is {"error", "message", "error_code", "details"}: show its message.
  function serverMessage(response) {
    const xhr = response && response.body && response.body.xhr;
    if (!xhr || !xhr.responseText) return null;
    try {
      return JSON.parse(xhr.responseText).message || null;
    } catch (e) {
      return null;
    }
  }

  function setUp(dialog) {
    const extensions = JSON.parse(document.getElementById("dataset-extensions").textContent);
    const typeSelect = dialog.querySelector("[data-upload-type]");
    const splitSelect = dialog.querySelector("[data-upload-split]");
    const hint = dialog.querySelector("[data-type-hint]");
    const start = dialog.querySelector("[data-upload-start]");
    const cancel = dialog.querySelector("[data-upload-cancel]");
    const errors = dialog.querySelector("[data-upload-errors]");
    let uploading = false;
    let skipped = 0;

    const uppy = new window.Uppy.Uppy({
      autoProceed: false,
      restrictions: {
        maxNumberOfFiles: Number(dialog.dataset.maxFiles),
        maxFileSize: Number(dialog.dataset.maxFileSize),
        allowedFileTypes: extensions.auto,
      },
    })
      .use(window.Uppy.Dashboard, {
        inline: true,
        target: dialog.querySelector("#dataset-uppy"),
        width: "100%",
        height: 320,
        hideUploadButton: true, // the dialog's Create button starts the upload
        hideCancelButton: true, // and, as the spec has it, an upload runs to its end
        proudlyDisplayPoweredByUppy: false,
        showRemoveButtonAfterComplete: false,
      })
      .use(window.Uppy.Tus, {
        endpoint: dialog.dataset.endpoint,
        chunkSize: 50 * MB,
        retryDelays: RETRY_DELAYS,
        removeFingerprintOnSuccess: true,
        headers: { "X-CSRFToken": dialog.dataset.csrfToken },
        // Only what the server reads; Uppy's own meta (MIME type, relativePath) stays home.
        allowedMetaFields: ["name", "type", "split", "batch"],
        limit: 3,
      });

    function setType(type) {
      const allowed = extensions[type] || extensions.auto;
      uppy.setOptions({ restrictions: { allowedFileTypes: allowed } });
      hint.textContent = TYPE_HINTS[type] || "";
      // Files picked under another type that this one would refuse leave the batch.
      uppy.getFiles().forEach((file) => {
        const name = file.name.toLowerCase();
        if (!allowed.some((ext) => name.endsWith(ext))) uppy.removeFile(file.id);
      });
    }

    function sync() {
      const pending = uppy.getFiles().filter((f) => !f.progress.uploadComplete);
      start.disabled = uploading || pending.length === 0;
      start.textContent = uploading ? "Uploading…" : "Create";
      typeSelect.disabled = uploading;
      splitSelect.disabled = uploading;
      cancel.disabled = uploading;
      showErrors();
    }

    // Uppy keeps each failed file's message behind a "?" tooltip; say it in full under the list.
    function showErrors() {
      errors.replaceChildren(
        ...uppy
          .getFiles()
          .filter((file) => file.error)
          .map((file) => {
            const item = document.createElement("li");
            const message = String(file.error);
            item.textContent = message.includes(file.name) ? message : file.name + ": " + message;
            return item;
          }),
      );
    }

    typeSelect.addEventListener("change", () => setType(typeSelect.value));
    setType(typeSelect.value);

    start.addEventListener("click", () => {
      // Uppy keeps each file's MIME type in meta.type; the server's `type` is the dialog's choice.
      // One id per batch: the server counts a batch of up to 100 files as one upload.
      const batch = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      uppy.setMeta({ type: typeSelect.value, split: splitSelect.value, batch });
      skipped = 0;
      uppy.upload().catch(() => {
        // Restriction errors are shown by Uppy itself; the batch did not start.
        uploading = false;
        sync();
      });
    });

    // A batch starts (Create, or the Dashboard's Retry): lock the dialog until it completes.
    uppy.on("upload", () => {
      uploading = true;
      sync();
    });
    uppy.on("upload-success", (file, response) => {
      const xhr = response && response.body && response.body.xhr;
      if (xhr && xhr.getResponseHeader("Upload-Result") === "skipped") skipped += 1;
    });
    uppy.on("upload-error", (file, error, response) => {
      const message = serverMessage(response);
      if (message && file) uppy.setFileState(file.id, { error: message });
      showErrors();
    });
    uppy.on("complete", (result) => {
      uploading = false;
      sync();
      const ok = result.successful ? result.successful.length : 0;
      const failed = result.failed ? result.failed.length : 0;
      if (ok > 0 && window.htmx) window.htmx.trigger(document.body, "datasetsChanged");
      if (ok + failed === 0) return;
      if (failed === 0) {
        const note = skipped ? " (" + plural(skipped, "duplicate") + " skipped)" : "";
        window.panelToast(plural(ok, "file") + " uploaded successfully" + note, "success");
        dialog.close();
      } else if (ok > 0) {
        window.panelToast(ok + " uploaded, " + failed + " failed", "error");
      } else {
        window.panelToast("Upload failed: " + plural(failed, "file") + " could not be uploaded", "error");
      }
    });
    ["file-added", "files-added", "file-removed", "cancel-all"].forEach((event) => uppy.on(event, sync));

    // While uploading, neither Cancel nor Escape closes the dialog.
    dialog.addEventListener("cancel", (event) => {
      if (uploading) event.preventDefault();
    });
    // Closed after a finished (or abandoned) batch: the next one starts empty.
    dialog.addEventListener("close", () => {
      if (!uploading) {
        uppy.cancelAll();
        sync();
      }
    });
    sync();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const dialog = document.querySelector("dialog[data-uploader]");
    if (dialog && window.Uppy) setUp(dialog);
  });
})();
