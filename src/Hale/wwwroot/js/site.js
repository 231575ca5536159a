// Progressive enhancement only: every page works without this file.
// Drafts: a compose or reply form marked data-draft saves itself to the server (never to browser
// storage, which would leave patient data on the device) a moment after typing stops and when the
// page is hidden.
(function () {
    'use strict';
    document.querySelectorAll('form[data-draft-url]').forEach(function (form) {
        var timer = null;
        var dirty = false;
        var status = form.querySelector('[data-draft-status]');
        function save(useBeacon) {
            if (!dirty) { return; }
            dirty = false;
            var data = new FormData(form);
            data.delete('Attachments');
            var url = form.getAttribute('data-draft-url');
            if (useBeacon && navigator.sendBeacon) {
                navigator.sendBeacon(url, data);
                return;
            }
            // Only a 204 means saved: an expired session answers with a redirect to sign-in.
            fetch(url, { method: 'POST', body: data, credentials: 'same-origin', redirect: 'manual' }).then(function (r) {
                var saved = r.status === 204;
                if (!saved) { dirty = true; }
                if (status) { status.textContent = saved ? 'Draft saved.' : 'Draft not saved: you may need to sign in again.'; }
            }).catch(function () {
                if (status) { status.textContent = 'Draft not saved: check your connection.'; }
                dirty = true;
            });
        }
        form.addEventListener('input', function () {
            dirty = true;
            clearTimeout(timer);
            timer = setTimeout(function () { save(false); }, 1500);
        });
        form.addEventListener('submit', function () { dirty = false; clearTimeout(timer); });
        document.addEventListener('visibilitychange', function () {
            if (document.visibilityState === 'hidden') { save(true); }
        });
    });
    // Prevent a second click from submitting the same form twice while the first is in flight.
    document.querySelectorAll('form[data-once]').forEach(function (form) {
        form.addEventListener('submit', function (e) {
            if (form.dataset.submitting === '1') { e.preventDefault(); return; }
            form.dataset.submitting = '1';
        });
    });
})();
